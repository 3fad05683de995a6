"""The render process (render.server): WeasyPrint's layouts made apart from the build, one child each."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from recouvre_docs.errors import EvidenceError
from recouvre_docs.render import pdf as render_pdf
from recouvre_docs import subprocesses


def _children(pid: int) -> list[int]:
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            out += [int(x) for x in f.read().split()]
    return out


def _request(tmp_path: Path, rows: int) -> dict:
    body = "".join(f"<tr><td>{i}</td><td>Courrier {i} adressé au débiteur</td><td>p. {i}</td></tr>" for i in range(rows))
    return dict(html=f"<table>{body}</table>", target=tmp_path / "slow.pdf", base_dir=tmp_path, roots=[], parts=None,
                lang="fr", hold_last_page=False)


def _ready(tmp_path: Path):
    """The render process, once it has answered a first render (its import and warm-up done: the
    children it then has are the layouts it forked)."""
    srv = render_pdf.start_server()
    assert srv is not None
    assert srv.call(dict(_request(tmp_path, 3), target=tmp_path / "first.pdf")).pages == 1
    for _ in range(300):  # the child that answered ends
        if not _children(srv.proc.pid):
            return srv
        time.sleep(0.05)
    raise AssertionError("the render process's children do not end")


def _laying_out(srv) -> list[int]:
    for _ in range(300):  # the child is forked as soon as the server accepts
        kids = _children(srv.proc.pid)
        if kids:
            return kids
        time.sleep(0.05)
    raise AssertionError("no child laying the page out")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from /proc")
def test_a_layout_whose_caller_is_gone_stops_at_once(tmp_path):
    """A conversion stopped at its time limit leaves no layout running: the child sees its caller gone."""
    srv = _ready(tmp_path)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(srv.address)
    with conn.makefile("wb") as stream:
        subprocesses.write_message(stream, _request(tmp_path, 8000))  # some 25 s of layout
    kids = _laying_out(srv)
    conn.close()
    deadline = time.monotonic() + 10  # a loaded machine: still well before the layout ends
    while any(k in _children(srv.proc.pid) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(k in _children(srv.proc.pid) for k in kids)
    assert not (tmp_path / "slow.pdf").exists()
    assert srv.call(dict(_request(tmp_path, 3), target=tmp_path / "small.pdf")).pages == 1  # still serving


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from /proc")
def test_layouts_waited_for_by_other_threads_stop_when_aborted(tmp_path):
    """An interrupted build (the parts of a long index are laid out from threads) does not wait for
    the layouts under way: its render_scope's abort() ends them, and the threads waiting get an error
    at once; a layout asked for outside the scope (another build in the same process) goes on."""
    import contextvars

    srv = _ready(tmp_path)
    outcome: list = []
    other: list = []

    def ask(n: int):
        try:
            srv.call(dict(_request(tmp_path, 8000), target=tmp_path / f"slow{n}.pdf"))  # some 25 s each
        except Exception as err:  # noqa: BLE001 - what the waiting thread sees
            outcome.append(err)

    def elsewhere():  # outside the scope: a layout started before the abort, and going on past it
        other.append(srv.call(dict(_request(tmp_path, 4000), target=tmp_path / "other.pdf")))

    def forked(n: int) -> list[int]:
        deadline = time.monotonic() + 30
        while len(_children(srv.proc.pid)) < n:
            assert time.monotonic() < deadline, "the render process did not fork the layouts asked for"
            time.sleep(0.05)
        return _children(srv.proc.pid)

    bystander = threading.Thread(target=elsewhere)
    bystander.start()
    forked(1)
    with render_pdf.render_scope() as scope:
        asking = [threading.Thread(target=contextvars.copy_context().run, args=(ask, n)) for n in range(2)]
        for thread in asking:
            thread.start()
        kids = forked(3)
        started = time.monotonic()
        scope.abort()
        late = threading.Thread(target=contextvars.copy_context().run, args=(ask, 2))  # asked for after it
        late.start()
        asking.append(late)
    for thread in asking:
        thread.join(10)  # a loaded machine: still well before the layouts would end
    assert not any(thread.is_alive() for thread in asking) and time.monotonic() - started < 10
    assert len(outcome) == 3 and all(isinstance(err, EvidenceError) for err in outcome)
    bystander.join(60)
    assert len(other) == 1 and other[0].pages >= 1  # laid out to its end
    deadline = time.monotonic() + 10
    while any(k in _children(srv.proc.pid) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(k in _children(srv.proc.pid) for k in kids)
    assert srv.call(dict(_request(tmp_path, 3), target=tmp_path / "small.pdf")).pages == 1  # still serving


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from /proc")
def test_a_layout_that_dies_is_an_evidence_error_not_a_crash_of_the_build(tmp_path):
    """Out of memory or a crash in a native library kills the child laying the page out: the caller gets
    an EvidenceError (exit 4; build --force can leave the file out), as a dead worker gave before."""
    srv = _ready(tmp_path)
    outcome: list = []

    def ask():
        try:
            srv.call(_request(tmp_path, 4000))
        except Exception as err:  # noqa: BLE001 - what the caller sees
            outcome.append(err)

    asking = threading.Thread(target=ask)
    asking.start()
    for kid in _laying_out(srv):
        os.kill(kid, signal.SIGKILL)
    asking.join(10)
    [err] = outcome
    assert isinstance(err, EvidenceError) and "stopped abnormally" in err.message


def test_a_render_process_that_is_gone_is_named_as_such(tmp_path):
    """The render process itself killed (not a layout): the caller is told the process is not running,
    a bug to report (exit 9), not that a page could not be laid out; the next process starts another."""
    srv = _ready(tmp_path)
    srv.proc.kill()
    srv.proc.wait()
    with pytest.raises(RuntimeError, match=r"render process \(recouvre_docs.render.server\) is not running"):
        srv.call(dict(_request(tmp_path, 3), target=tmp_path / "x.pdf"))
    again = render_pdf.start_server()  # its process has ended: a new one
    assert again is not srv and again.call(dict(_request(tmp_path, 3), target=tmp_path / "y.pdf")).pages == 1


def test_a_build_leaves_no_temporary_file_behind(make_case, short_tmp):
    """WeasyPrint copies a layout's fonts into a temporary folder (2.3 MB) that it removes when the
    layout's objects are freed, which a process ending at once never does: a build, and a rebuild
    whose layouts all come from the cache (its render process stopped while still starting), leave
    the temporary folder as they found it."""
    import subprocess
    import sys

    case = make_case(extra='[[invoice]]\nnumber = "F1"\nissued = 2026-03-02\ndue = 2026-04-01\namount = 1200.00\n')
    temp = short_tmp
    env = {**os.environ, "TMPDIR": str(temp)}
    for _ in range(2):
        built = subprocess.run([sys.executable, "-m", "recouvre_docs", "-q", "build", str(case), "--force"],
                               capture_output=True, text=True, env=env)
        assert built.returncode == 0, built.stderr
        assert (case / "out" / "T-100.pdf").is_file()
        left = sorted(p.name for p in temp.iterdir())
        assert left == [], " ".join(left)


@pytest.mark.parametrize("args", [["build", "--help"], ["-v", "build", "{missing}"], ["build", "{case}", "--lang", "xx"]])
def test_the_helpers_started_before_a_build_that_does_not_run_are_ended(make_case, tmp_path, short_tmp, args):
    """`recouvre-docs build` starts its render and stamping processes before importing the build's
    modules (launch.py, early.py). A build that never starts (its help, a missing folder, a usage
    error) ends them: nothing is left running, and nothing in the temporary folder."""
    import subprocess
    import sys

    case = make_case()
    temp = short_tmp
    argv = [a.format(case=case, missing=tmp_path / "no-such-case") for a in args]
    run = subprocess.run([sys.executable, "-m", "recouvre_docs", *argv], capture_output=True, text=True,
                         env={**os.environ, "TMPDIR": str(temp)}, timeout=60)
    assert run.returncode == (0 if "--help" in argv else 2 if "--lang" in argv else 3), run.stderr
    assert sorted(p.name for p in temp.iterdir()) == [], run.stderr
    assert _running_with(f"TMPDIR={temp}".encode()) == []


@pytest.mark.parametrize("command, started", [("build", True), ("check", False), ("verify", False)])
def test_the_command_starts_the_helpers_first_for_build_only(short_tmp, command, started):
    """launch.entry starts both helpers before cli.entry runs (here replaced by a look at them), for
    build alone; they are ended at the exit when nothing took them."""
    import subprocess
    import sys

    script = ("import sys, recouvre_docs.cli as cli, recouvre_docs.early as early, recouvre_docs.launch as launch\n"
              "cli.entry = lambda: print(early._server is not None, early._assembler is not None)\n"
              f"sys.argv = ['recouvre-docs', '-v', {command!r}, '--help']\n"
              "launch.entry()\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={**os.environ, "TMPDIR": str(short_tmp)}, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [str(started)] * 2
    assert sorted(p.name for p in short_tmp.iterdir()) == []


def _running_with(variable: bytes) -> list[int]:
    """The processes whose environment holds ``variable`` (NAME=value), or whose value starts with it."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(v.startswith(variable) for v in environ):
                found.append(int(entry.name))
    return found


def _has_pango(pid: int) -> bool:
    with open(f"/proc/{pid}/maps") as f:
        return "libpango" in f.read()


@pytest.mark.parametrize("how", ["told", "asked"])
def test_the_render_process_imports_weasyprint_when_told_or_at_its_first_layout(tmp_path, how):
    """The render process does not import WeasyPrint (nor load Pango) when it starts: a rebuild whose
    layouts all come from the cache never needs it. It does when the build says layouts are coming
    (warm), or at its first layout, which is then laid out as any other."""
    srv = render_pdf._Server()  # one of this test's own, not the one other tests share
    try:
        time.sleep(1.0)  # long enough for its start-up, had it imported WeasyPrint at once (0.5 s)
        assert srv.proc.poll() is None and not _has_pango(srv.proc.pid)
        if how == "told":
            srv.warm()
            for _ in range(600):
                if _has_pango(srv.proc.pid):
                    break
                time.sleep(0.05)
            assert _has_pango(srv.proc.pid)
        assert srv.call(dict(_request(tmp_path, 3), target=tmp_path / "first.pdf")).pages == 1
        assert _has_pango(srv.proc.pid)  # warmed in the process itself: its children share it
    finally:
        srv.close()
    assert srv.proc.poll() is not None


def test_a_build_guesses_its_layouts_come_from_the_cache_only_when_the_case_is_as_last_built(make_case, cli):
    """What decides whether the render process imports WeasyPrint at once (api._inputs_key): the
    same after a comment in case.toml; another after an edit of a value, a new evidence file, or
    another option."""
    from recouvre_docs import api, casefolder

    case = make_case(files={"evidence/contrat.pdf": 2})

    def key(**options) -> str:
        folder = casefolder.load_case(case)
        return api._inputs_key(folder, api.BuildOptions(**options), "fr", folder.case.case.as_of, None)

    first = key()
    assert cli("build", case).exit_code == 0
    assert api._last_inputs(case / "out" / ".cache") == first  # kept by the build
    toml = case / "case.toml"
    toml.write_text(toml.read_text("utf-8") + "\n# a comment\n", "utf-8")
    assert key() == first
    toml.write_text(toml.read_text("utf-8").replace("80331 München", "80333 München"), "utf-8")
    edited = key()
    assert edited != first
    (case / "evidence" / "relance.pdf").write_bytes((case / "evidence" / "contrat.pdf").read_bytes())
    assert key() not in (first, edited)
    assert key(force=True) != key()
