"""The Helm chart (deploy/helm/<project>): helm itself renders it, a real API server checks it.

The API server is the stand-in for a cluster that has no nodes: etcd and kube-apiserver on
loopback ports, with a serving certificate, a service-account key and a static token made here.
It stores and validates objects as any cluster does (schemas, defaulting, admission, strict field
validation), but nothing is ever scheduled, so `kubectl apply --dry-run=server` is its use.
"""

import ipaddress
import os
import secrets
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from chart import run, tool
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from backend.core.tests.throwaway import free_port

API_SERVER_START_TIMEOUT = 90


@dataclass
class ApiServer:
    kubeconfig: Path
    log: Path

    def kubectl(self, *args: str, stdin: str = ""):
        return run([tool("kubectl"), "--kubeconfig", str(self.kubeconfig), *args], stdin=stdin)


def _write_key(path: Path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))  # fmt: skip
    return key


def _write_self_signed_certificate(path: Path, key) -> None:
    """A certificate for 127.0.0.1 that is its own CA: kubectl trusts exactly this file."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )  # fmt: skip
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


@pytest.fixture(scope="session")
def api_server(tmp_path_factory):
    work = tmp_path_factory.mktemp("apiserver")
    etcd_bin, apiserver_bin = tool("etcd"), tool("kube-apiserver")
    tool("kubectl")
    # The serving certificate, and the key that signs and verifies service-account tokens.
    _write_self_signed_certificate(work / "serving.crt", _write_key(work / "serving.key"))
    _write_key(work / "service-account.key")
    token = secrets.token_hex(24)
    # A static token for an administrator (system:masters passes every RBAC check).
    (work / "tokens.csv").write_text(f'{token},admin,admin,"system:masters"\n')

    etcd_port, peer_port, api_port = free_port(), free_port(), free_port()
    processes: list[subprocess.Popen] = []
    logs = {name: work / f"{name}.log" for name in ("etcd", "kube-apiserver")}

    def spawn(name: str, args: list[str]) -> subprocess.Popen:
        with logs[name].open("wb") as out:
            process = subprocess.Popen(  # noqa: S603
                args, cwd=work, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        processes.append(process)
        return process

    etcd_url = f"http://127.0.0.1:{etcd_port}"
    peer_url = f"http://127.0.0.1:{peer_port}"
    spawn("etcd", [
        etcd_bin, "--name", "test", "--data-dir", str(work / "etcd"),
        "--listen-client-urls", etcd_url, "--advertise-client-urls", etcd_url,
        "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
        "--initial-cluster", f"test={peer_url}",
    ])  # fmt: skip
    apiserver = spawn("kube-apiserver", [
        apiserver_bin,
        "--etcd-servers", etcd_url,
        "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
        "--secure-port", str(api_port),
        "--tls-cert-file", "serving.crt", "--tls-private-key-file", "serving.key",
        "--cert-dir", str(work / "certs"),
        "--token-auth-file", "tokens.csv",
        "--authorization-mode", "RBAC",
        "--service-account-issuer", "https://kubernetes.default.svc",
        "--service-account-key-file", "service-account.key",
        "--service-account-signing-key-file", "service-account.key",
        # Addresses Services would get; nothing routes them (there are no nodes).
        "--service-cluster-ip-range", "10.96.0.0/16",
        # A loopback address is refused as the `kubernetes` Service's endpoint.
        "--endpoint-reconciler-type", "none",
    ])  # fmt: skip
    kubeconfig = work / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "test", "cluster": {
            "server": f"https://127.0.0.1:{api_port}",
            "certificate-authority": str(work / "serving.crt")}}],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "admin"}}],
    }))  # fmt: skip
    server = ApiServer(kubeconfig=kubeconfig, log=logs["kube-apiserver"])
    try:
        deadline = time.monotonic() + API_SERVER_START_TIMEOUT
        while True:
            if apiserver.poll() is not None:
                pytest.fail(f"kube-apiserver exited:\n{_tail(logs['kube-apiserver'])}")
            # The default namespace exists once the server's own bootstrap has finished.
            ready = server.kubectl("get", "--raw", "/readyz")
            if (
                ready.returncode == 0
                and server.kubectl("get", "namespace", "default").returncode == 0
            ):
                break
            if time.monotonic() > deadline:
                pytest.fail(
                    f"kube-apiserver not ready within {API_SERVER_START_TIMEOUT}s: "
                    f"{ready.stdout}{ready.stderr}\n{_tail(logs['kube-apiserver'])}\n"
                    f"etcd:\n{_tail(logs['etcd'])}"
                )
            time.sleep(0.5)
        yield server
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(10)


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
