"""The embedded local AWS emulator (moto in server mode on 127.0.0.1).

Used by ``make demo`` / ``xacct-infra local demo`` and by the tests, so both exercise the
same thing: real HTTP, real botocore signing, real CloudFormation change sets.

How accounts are emulated: moto puts a request in the account that owns its access key,
and keys returned by ``sts:AssumeRole`` belong to the account in the role ARN. So we mint
credentials for each emulated account by assuming a role there, and write them as named
profiles into a private shared-credentials file. Account B's credentials come from
assuming B's *instance role* name, so the caller looks exactly like an EC2 host in B.

Caveat (see RESEARCH.md): the emulator does not enforce IAM. It proves that the calls
land in the right accounts and that the commands work end to end, not that a policy denies.
"""

from __future__ import annotations

import configparser
import os
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xacct_infra import arns

DUMMY_KEY = "AKIAXACCTLOCALDUMMY0"
DUMMY_SECRET = "xacct-local-dummy-secret"  # not a secret: the emulator accepts anything


@dataclass
class Emulator:
    """A moto server on a free loopback port, with per-account profiles in a temp dir."""

    port: int = 0
    url: str = ""
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="xacct-local-")))
    _server: Any = None
    _clients: dict[tuple[str, str, tuple[tuple[str, str], ...]], Any] = field(default_factory=dict, repr=False)

    def start(self) -> Emulator:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.CRITICAL + 1)  # its 500s for unimplemented calls are expected
        _lazy_kms_key_pairs()
        _shared_region_lists()
        try:
            self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
            self._server.start()
            _memoize_dispatch(getattr(self._server._server, "app", None))
        except BaseException:
            self.stop()
            raise
        host, port = self._server.get_host_and_port()
        self.port, self.url = port, f"http://{host}:{port}"
        (self.workdir / "config").write_text("")
        (self.workdir / "credentials").write_text("")
        return self

    def stop(self) -> None:
        """Stop the server and remove the private work directory (it holds emulator credentials)."""
        import shutil

        if self._server is not None:
            self._server.stop()
            self._server = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def reset(self) -> None:
        """Forget every resource in every emulated account (profiles must be re-minted)."""
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=10).read()
        self._clients.clear()  # minted keys are forgotten too
        (self.workdir / "credentials").write_text("")

    @property
    def credentials_file(self) -> Path:
        return self.workdir / "credentials"

    @property
    def config_file(self) -> Path:
        return self.workdir / "config"

    def env(self) -> dict[str, str]:
        """Environment that points every AWS SDK and CLI at the emulator and its profiles."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_SHARED_CREDENTIALS_FILE": str(self.credentials_file),
            "AWS_CONFIG_FILE": str(self.config_file),
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def client(self, service: str, region: str = "us-east-1", credentials: dict[str, str] | None = None) -> Any:
        """A client acting with ``credentials`` (made once per service, region and credentials:
        botocore clients are thread-safe, and making one costs more than most calls)."""
        creds = credentials or {"aws_access_key_id": DUMMY_KEY, "aws_secret_access_key": DUMMY_SECRET}
        key = (service, region, tuple(sorted(creds.items())))
        if key not in self._clients:
            import boto3

            self._clients[key] = boto3.client(service, region_name=region, endpoint_url=self.url, **creds)
        return self._clients[key]

    def mint(self, account_id: str, role_name: str = "xacct-local-admin", role_path: str = "/") -> dict[str, str]:
        """Temporary credentials that act in ``account_id`` as ``role_path+role_name``."""
        sts = self.client("sts")
        arn = arns.role_arn("aws", account_id, role_path, role_name)
        creds = sts.assume_role(RoleArn=arn, RoleSessionName="xacct-local")["Credentials"]
        return {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"]}

    def add_profile(self, name: str, account_id: str, region: str, role_name: str = "xacct-local-admin",
                    role_path: str = "/") -> dict[str, str]:
        """Write a named profile acting in ``account_id`` to the emulator's credentials/config files."""
        creds = self.mint(account_id, role_name, role_path)
        _ini_set(self.credentials_file, name, creds)
        _ini_set(self.config_file, "default" if name == "default" else f"profile {name}", {"region": region})
        return creds


class _LazyKeyPair:
    """Stands for the key pair moto gives a symmetric KMS key: made on first use (Sign, Verify,
    GetPublicKey), which Encrypt and Decrypt never are."""

    def __init__(self, make: Any) -> None:
        self._make, self._made = make, None

    def __getattr__(self, name: str) -> Any:
        if self._made is None:
            self._made = self._make()
        return getattr(self._made, name)


def _lazy_kms_key_pairs() -> None:
    """moto 5 makes an RSA-2048 key pair for every KMS key it creates, symmetric ones included:
    50-200 ms of CPU per CreateKey, spent on material a symmetric key never uses. Make it lazily.
    If moto's internals move, nothing is changed (the keys are just slower to create)."""
    try:
        import moto.kms.models as kms_models
    except ImportError:
        return
    original = getattr(kms_models, "generate_private_key", None)
    if original is None or getattr(original, "xacct_lazy", False):
        return

    def generate_private_key(key_spec: str) -> Any:
        if key_spec != "SYMMETRIC_DEFAULT":
            return original(key_spec)
        return _LazyKeyPair(lambda: original(key_spec))

    generate_private_key.xacct_lazy = True  # type: ignore[attr-defined]
    kms_models.generate_private_key = generate_private_key  # type: ignore[attr-defined]


def _shared_region_lists() -> None:
    """moto's EC2 models (imported by its CloudFormation) list the regions of three partitions
    from three new botocore sessions, each parsing the EC2 service model and endpoints.json:
    about 0.4 s of every emulator's start. The lists are botocore's static data: compute each
    once per process (for sessions with botocore's own data; one with a data_path is answered by
    botocore as before). If botocore's internals move, nothing is changed."""
    import botocore.session

    original = getattr(botocore.session.Session, "get_available_regions", None)
    if original is None or getattr(original, "xacct_shared", False):
        return
    known: dict[tuple[Any, ...], list[str]] = {}
    lock = threading.Lock()
    one: list[Any] = []  # a single session answers every list, so its loader parses each file once

    def get_available_regions(self: Any, service_name: str, partition_name: str = "aws",
                              allow_non_regional: bool = False) -> list[str]:
        if self.get_config_variable("data_path"):  # models of its own: botocore answers for it alone
            return list(original(self, service_name, partition_name, allow_non_regional))
        key = (service_name, partition_name, allow_non_regional)
        with lock:
            if key not in known:
                one[:] = one or [botocore.session.Session()]
                known[key] = list(original(one[0], service_name, partition_name, allow_non_regional))
            return list(known[key])

    get_available_regions.xacct_shared = True  # type: ignore[attr-defined]
    get_available_regions.xacct_original = original  # type: ignore[attr-defined]
    botocore.session.Session.get_available_regions = get_available_regions


def _memoize_dispatch(app: Any) -> None:
    """moto's server finds the service of every request by listing its own package directory and
    trying a few hundred URL patterns on the host (about a third of its time per request here).
    The answer for a host never changes while the server runs: remember it. If moto's internals
    move, nothing is changed."""
    find = getattr(app, "get_backend_for_host", None)
    if find is None:
        return
    known: dict[str | None, Any] = {}

    def get_backend_for_host(host: str | None) -> Any:
        if host not in known:
            known[host] = find(host)
        return known[host]

    app.get_backend_for_host = get_backend_for_host


def _ini_set(path: Path, section: str, values: dict[str, str]) -> None:
    parser = configparser.RawConfigParser()
    parser.read(path)
    if not parser.has_section(section):
        parser.add_section(section)
    for key, value in values.items():
        parser.set(section, key, value)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        parser.write(handle)


@contextmanager
def running() -> Iterator[Emulator]:
    emulator = Emulator().start()
    try:
        yield emulator
    finally:
        emulator.stop()


def create_sample_data(emulator: Emulator, account_id: str, region: str, tables: list[str],
                       hash_key: str = "ParameterName") -> list[str]:
    """Create the config's tables and one KMS key per ``keys`` entry in emulated Account A.

    Done with the DynamoDB and KMS APIs, not a template: a KMS key created by an emulated
    template breaks DescribeKey (RESEARCH.md, section 4). Returns nothing about keys; see
    :func:`create_sample_key`.
    """
    creds = emulator.mint(account_id)
    ddb = emulator.client("dynamodb", region, creds)
    existing = set(ddb.list_tables().get("TableNames", []))
    for name in tables:
        if name not in existing:
            ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": hash_key, "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": hash_key, "KeyType": "HASH"}])
    return tables


def create_sample_key(emulator: Emulator, account_id: str, region: str, description: str = "xacct-infra demo key") -> str:
    creds = emulator.mint(account_id)
    kms = emulator.client("kms", region, creds)
    return str(kms.create_key(Description=description)["KeyMetadata"]["KeyId"])


def create_existing_role(emulator: Emulator, account_id: str, role_path: str, role_name: str) -> str:
    """Create (once) the role a ``kind = "existing-role"`` consumer names, in its emulated account,
    as its owners would have before adopting xacct-infra. Returns its ARN."""
    import json

    iam = emulator.client("iam", credentials=emulator.mint(account_id))
    try:
        return str(iam.get_role(RoleName=role_name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"Service": "ec2.amazonaws.com"}}]}
        return str(iam.create_role(RoleName=role_name, Path=role_path, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])


# --------------------------------------------------------------------------- signals: one stop, said once

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(Exception):
    """A stop signal arrived. ``reported``: the step that was running was told, and ended saying so itself."""

    def __init__(self, signum: int, reported: bool = False) -> None:
        super().__init__(signum)
        self.signum = signum
        self.reported = reported


class StopSignals:
    """While active, SIGINT, SIGTERM and SIGHUP (each unless ignored, as under nohup or ``&``) stop
    this process: :class:`Stopped` is raised once, so the caller's cleanup runs undisturbed.

    Steps run by :meth:`run` get their own process group: a terminal's Ctrl-C then reaches this
    process only, and the running step is sent exactly one SIGINT per signal received here (a
    deploy undoes its change set as on Ctrl-C, a second one detaches). The step says how it
    stopped; this process waits for it, so nothing is left running. SIGWINCH is passed on.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._child: subprocess.Popen[str] | None = None
        self._starting = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        for sig in (*STOP_SIGNALS, signal.SIGWINCH):
            previous = signal.getsignal(sig)
            if previous != signal.SIG_IGN:
                self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *_: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _on_signal(self, signum: int, _frame: object) -> None:
        running = self._child is not None and self._child.poll() is None
        if signum == signal.SIGWINCH:
            if running:
                self._tell(signal.SIGWINCH)
            return
        first = self.signum is None
        self.signum = self.signum or signum
        if running:
            self._tell(signal.SIGINT)
        elif first and not self._starting:
            raise Stopped(signum)

    def _tell(self, signum: int) -> None:
        if self._child is not None:
            with suppress(ProcessLookupError):
                os.killpg(self._child.pid, signum)

    def run(self, argv: Sequence[str], env: Mapping[str, str], *, capture: bool = False) -> tuple[int, str]:
        """Run one step to its end: (exit code, its stdout if ``capture``). :class:`Stopped` after a stop signal."""
        if self.signum is not None:
            raise Stopped(self.signum)
        self._starting = True
        try:
            self._child = subprocess.Popen(list(argv), env=dict(env), stdout=subprocess.PIPE if capture else None, text=True,
                                           process_group=0)
        finally:
            self._starting = False
        try:
            if self.signum is not None:  # it came while the step was being started
                self._tell(signal.SIGINT)
            out, _ = self._child.communicate()
            code = self._child.returncode
        finally:
            self._child = None
        if self.signum is not None:  # a positive code: the step ended by itself and said why; a negative one: killed
            raise Stopped(self.signum, reported=code > 0)
        return code, out or ""
