"""--sign CERT.p12: a PAdES signature on the bundle with pyHanko, as an incremental update (so the
PDF/A content and the page digests of the manifest stay as built). The PKCS#12 password is read from an
environment variable, never from the command line. A signed bundle carries its signing time, so two
signed builds are not byte-identical (the unsigned content still is)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .errors import CaseFileError, OutputError

PASSWORD_ENV = "RECOUVRE_SIGN_PASSWORD"
_LOGGERS = ("pyhanko", "pyhanko_certvalidator")


def _quiet_pyhanko() -> None:
    """pyHanko logs a full traceback for a wrong password or a self-signed certificate, although it
    also raises or reports them, and we say them in one line: keep its logs for -v (which configures
    these loggers), silent otherwise."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.CRITICAL)


def _signer_name(cert) -> str:
    """'Maître Sophie Lambert (Lambert Avocats)': the common name, and the organisation if any."""
    subject = cert.subject.native
    name, org = subject.get("common_name"), subject.get("organization_name")
    if name and org:
        return f"{name} ({org})"
    return name or org or cert.subject.human_friendly


def sign(bundle: Path, p12: Path, *, reason: str, location: str | None, password_env: str = PASSWORD_ENV) -> None:
    from pyhanko.sign import fields, signers
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    _quiet_pyhanko()
    password = os.environ.get(password_env)
    try:
        signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=password.encode() if password else None)
    except (OSError, ValueError) as err:
        signer = None
        cause = err
    else:
        cause = None
    if signer is None:
        raise CaseFileError(
            f"the signing certificate {p12} cannot be opened ({cause})" if cause else f"the signing certificate {p12} cannot be opened",
            path=p12, hint=f"Check the file, and put its password in the environment variable {password_env}.",
        )
    meta = signers.PdfSignatureMetadata(field_name="recouvre-docs", reason=reason, location=location,
                                        subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256")
    tmp = bundle.with_suffix(".signed.tmp")
    try:
        with bundle.open("rb") as src, tmp.open("wb") as out:
            writer = IncrementalPdfFileWriter(src, strict=False)
            signers.PdfSigner(meta, signer=signer).sign_pdf(writer, output=out)
    except Exception as err:  # noqa: BLE001 - pyHanko raises its own errors for a bad key or file
        tmp.unlink(missing_ok=True)
        raise OutputError(f"the bundle could not be signed ({err.__class__.__name__}: {err})",
                          hint="Check that the certificate holds a private key usable for signing.") from err
    tmp.replace(bundle)


def signatures(bundle: Path) -> list[dict]:
    """Each signature of the bundle: who signed, whether it is intact and covers the whole file."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    _quiet_pyhanko()
    # no trust list and no fetching: verify never touches the network (revocation is for the recipient)
    context = ValidationContext(trust_roots=[], allow_fetching=False)

    out = []
    with bundle.open("rb") as f:
        reader = PdfFileReader(f, strict=False)
        for sig in reader.embedded_signatures:
            status = validate_pdf_signature(sig, signer_validation_context=context)
            out.append({
                "signer": _signer_name(status.signing_cert),
                "intact": bool(status.intact and status.valid),
                "whole_file": status.coverage.name == "ENTIRE_FILE",
                "trusted": bool(status.trusted),
            })
    return out
