"""Registry access through regctl (reads, index creation) and skopeo (copies), never by hand.

Credentials come from the tools' shared login state: `skopeo login --authfile ~/.docker/config.json`
(or REGISTRY_AUTH_FILE pointing there) is read by both skopeo and regctl.
"""

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field

from release_tool.errors import ReleaseError

_UNAUTHORIZED = re.compile(
    r"unauthorized|authentication required|http 401|denied|http 403", re.IGNORECASE
)
_NOT_FOUND = re.compile(
    r"not found|manifest unknown|name unknown|http 404|NAME_UNKNOWN", re.IGNORECASE
)
# A copy of a large image over a slow link is the longest call; none should take longer.
TOOL_TIMEOUT_SECONDS = 1800
_NOT_REACHABLE = re.compile(r"connection refused|no such host|i/o timeout|dial tcp", re.IGNORECASE)


class RegistryNotFound(ReleaseError):
    """The tag or repository does not exist (404)."""


def registry_host(reference: str) -> str:
    first = reference.split("/", 1)[0]
    return (
        first
        if ("." in first or ":" in first or first == "localhost") and "/" in reference
        else "docker.io"
    )


@dataclass
class Registry:
    # Hosts reached over plain HTTP / without TLS verification (local test registries).
    insecure_hosts: set[str] = field(default_factory=set)

    def digest(self, reference: str) -> str | None:
        """The manifest digest a tag points to, or None when the tag does not exist."""
        try:
            return self._regctl("image", "digest", reference).strip()
        except RegistryNotFound:
            return None

    def tags(self, repository: str) -> list[str]:
        try:
            return self._regctl("tag", "ls", repository).split()
        except RegistryNotFound:
            return []

    def architecture(self, reference: str) -> str:
        """The os/arch[/variant] recorded in the image config; a 404 propagates as
        RegistryNotFound."""
        return self._regctl(
            "image",
            "inspect",
            reference,
            "--format",
            "{{.OS}}/{{.Architecture}}{{if .Variant}}/{{.Variant}}{{end}}",
        ).strip()

    def descriptor(self, reference: str) -> dict:
        """mediaType, digest and size of the manifest a tag points to."""
        found = json.loads(
            self._regctl("manifest", "get", reference, "--format", "{{json .GetDescriptor}}")
        )
        return {key: found[key] for key in ("mediaType", "digest", "size")}

    def platforms(self, reference: str) -> list[str]:
        listing = self._regctl(
            "manifest",
            "get",
            reference,
            "--format",
            "{{range .GetManifestList}}{{.Platform}}{{println}}{{end}}",
        )
        return listing.split()

    def put_index(self, reference: str, manifests: list[dict], media_type: str) -> None:
        # One push, once every entry has resolved: the registry never holds a partial index.
        index = {"schemaVersion": 2, "mediaType": media_type, "manifests": manifests}
        self._regctl(
            "manifest", "put", reference, "--content-type", media_type, stdin=json.dumps(index)
        )

    def copy_all(self, source: str, destination: str) -> None:
        """Copy a tag with all its platforms, keeping digests (so `latest` compares by digest)."""
        args = ["copy", "--all", "--preserve-digests"]
        if registry_host(source) in self.insecure_hosts:
            args.append("--src-tls-verify=false")
        if registry_host(destination) in self.insecure_hosts:
            args.append("--dest-tls-verify=false")
        self._run(
            ["skopeo", *args, f"docker://{source}", f"docker://{destination}"], subject=destination
        )

    def _regctl(self, *args: str, stdin: str | None = None) -> str:
        host_flags = []
        for host in sorted(self.insecure_hosts):
            host_flags += ["--host", f"reg={host},tls=disabled"]
        # Subject for error messages: the image reference is the first argument after the verb(s).
        subject = next((arg for arg in args[2:] if not arg.startswith("-")), args[-1])
        return self._run(
            ["regctl", "-v", "error", *host_flags, *args], subject=subject, stdin=stdin
        )

    @staticmethod
    def _run(command: list[str], *, subject: str, stdin: str | None = None) -> str:
        tool = command[0]
        if shutil.which(tool) is None:
            raise ReleaseError(
                f"{tool} not found on PATH (run through `nix run .#release`, which provides it)"
            )
        try:
            result = subprocess.run(
                command,
                input=stdin,
                capture_output=True,
                text=True,
                check=False,
                timeout=TOOL_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired as error:
            raise ReleaseError(
                f"{tool} timed out after {TOOL_TIMEOUT_SECONDS} s for {subject}"
            ) from error
        if result.returncode == 0:
            return result.stdout
        detail = (
            _last_line(result.stderr)
            or _last_line(result.stdout)
            or f"exit code {result.returncode}"
        )
        if _UNAUTHORIZED.search(result.stderr):
            raise ReleaseError(
                f"registry refused access (401/403 unauthorized) to {subject}: log in first "
                f"(skopeo login --authfile ~/.docker/config.json <registry>). {tool} said: {detail}"
            )
        if _NOT_FOUND.search(result.stderr):
            raise RegistryNotFound(
                f"not found in the registry (404): {subject}. {tool} said: {detail}"
            )
        if _NOT_REACHABLE.search(result.stderr):
            raise ReleaseError(f"registry not reachable for {subject}. {tool} said: {detail}")
        raise ReleaseError(f"{tool} failed for {subject}: {detail}")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
