"""Release steps of the CI pipeline: should-update-latest, merge-manifests, promote, e2c.

Every subcommand takes its defaults from GitLab CI's predefined variables (CI_COMMIT_TAG,
CI_JOB_ID, ...) and the pipeline's own settings, so a job passes only what differs.
Exit codes: 0 done, 1 registry, git or cloud trouble, 2 bad input or configuration.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from release_tool.errors import ReleaseError
from release_tool.latest import STRATEGIES, Decision, should_update_latest
from release_tool.manifests import ARCHITECTURES, merge_manifests
from release_tool.promote import promote
from release_tool.registry import Registry
from release_tool.versions import validate_repository, validate_tag


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ReleaseError as error:
        print(f"release {args.command}: error: {error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"release {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug, still reported as one line for the CI log
        message = f"internal error: {type(error).__name__}: {error}"
        print(f"release {args.command}: {message}", file=sys.stderr)
        return 70


def _parser() -> argparse.ArgumentParser:
    env = os.environ
    parser = argparse.ArgumentParser(prog="release", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--insecure-registry",
        action="append",
        metavar="HOST[:PORT]",
        default=env.get("RELEASE_INSECURE_REGISTRIES", "").replace(",", " ").split(),
        help="registry without TLS verification (repeatable; env RELEASE_INSECURE_REGISTRIES)",
    )

    latest_options = argparse.ArgumentParser(add_help=False)
    latest_options.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default=env.get("UPDATE_LATEST_STRATEGY") or "auto",
        help="force, skip or auto (env UPDATE_LATEST_STRATEGY; default auto)",
    )
    latest_options.add_argument(
        "--tag-type",
        default=env.get("TAG_TYPE_OVERRIDE") or None,
        help="annotated or lightweight, skipping detection (env TAG_TYPE_OVERRIDE)",
    )
    latest_options.add_argument(
        "--repo-dir",
        type=Path,
        default=Path("."),
        help="git clone holding the tag (default: current directory)",
    )

    decide = commands.add_parser(
        "should-update-latest",
        parents=[common, latest_options],
        help="print true/false: should <image>:latest move to this tag?",
    )
    decide.add_argument(
        "--image", required=True, help="release repository, e.g. registry/group/webapp-django"
    )
    decide.add_argument(
        "--tag", default=env.get("CI_COMMIT_TAG", ""), help="git tag (env CI_COMMIT_TAG)"
    )
    decide.add_argument("--json", action="store_true", help="print the decision as JSON")
    decide.set_defaults(handler=_should_update_latest)

    merge = commands.add_parser(
        "merge-manifests",
        parents=[common],
        help="push <image>:<version> as an index of the per-arch images",
    )
    merge.add_argument("--image", required=True, help="repository holding <version>-<arch> tags")
    merge.add_argument("--version", required=True, help="version tag, e.g. 1.2.3")
    merge.add_argument(
        "--arch",
        action="append",
        choices=ARCHITECTURES,
        help="architecture to include (repeatable); default amd64, + arm64 if BUILD_ARM64=true, "
        "+ armv7 (linux/arm/v7) if BUILD_ARMV7=true",
    )
    merge.set_defaults(handler=_merge_manifests)

    release = commands.add_parser(
        "promote",
        parents=[common, latest_options],
        help="copy <source>:<version> to <target>:<version>, and to <target>:latest by the rules",
    )
    release.add_argument("--source", required=True, help="repository the pipeline built into")
    release.add_argument("--target", required=True, help="release repository")
    release.add_argument("--version", required=True, help="version tag, the git tag itself")
    release.set_defaults(handler=_promote)

    _add_e2c(commands)
    return parser


def _add_e2c(commands) -> None:
    e2c = commands.add_parser(
        "e2c",
        help="the remote ARM builder's EC2 instance: setup, teardown, status, reap",
        description="Settings come from E2C_* and AWS_* variables (README, Releasing).",
    )
    phases = e2c.add_subparsers(dest="phase", required=True, metavar="PHASE")
    state_dir = argparse.ArgumentParser(add_help=False)
    state_dir.add_argument(
        "--state-dir",
        type=Path,
        default=Path("."),
        help="where .e2c_instance_state_<CI_JOB_ID> lives (default: current directory)",
    )
    phases.add_parser(
        "setup", parents=[state_dir], help="start or create the instance, wait for SSH and Nix"
    ).set_defaults(handler=_e2c)
    phases.add_parser(
        "teardown", parents=[state_dir], help="stop (last lease out) or terminate the instance"
    ).set_defaults(handler=_e2c)
    phases.add_parser(
        "status", parents=[state_dir], help="print this job's instance as key=value lines"
    ).set_defaults(handler=_e2c)
    reap = phases.add_parser(
        "reap", help="terminate instances and drop leases of jobs that have ended"
    )
    reap.add_argument("--dry-run", action="store_true", help="print what would be done, only")
    reap.set_defaults(handler=_e2c)


def _registry(args: argparse.Namespace) -> Registry:
    return Registry(insecure_hosts=set(args.insecure_registry))


def _decide(args: argparse.Namespace, *, tag: str, repository: str) -> Decision:
    return should_update_latest(
        tag=tag,
        repository=repository,
        strategy=args.strategy,
        registry=_registry(args),
        tag_type_override=args.tag_type,
        repo_dir=args.repo_dir,
        env=dict(os.environ),
    )


def _should_update_latest(args: argparse.Namespace) -> int:
    validate_repository(args.image)
    decision = _decide(args, tag=args.tag, repository=args.image)
    if args.json:
        print(json.dumps(decision.as_dict(), sort_keys=True))
    else:
        print("true" if decision.update else "false")
        print(
            f"release: latest {'moves' if decision.update else 'stays'}: {decision.reason}",
            file=sys.stderr,
        )
    return 0


def _merge_manifests(args: argparse.Namespace) -> int:
    architectures = args.arch or _default_architectures()
    platforms = merge_manifests(
        repository=args.image,
        version=args.version,
        architectures=architectures,
        registry=_registry(args),
    )
    print(f"{args.image}:{args.version} -> {', '.join(platforms)}")
    return 0


def _default_architectures() -> list[str]:
    architectures = ["amd64"]
    for arch, variable in (("arm64", "BUILD_ARM64"), ("armv7", "BUILD_ARMV7")):
        value = os.environ.get(variable, "false").strip().lower()
        if value not in ("true", "false", "1", "0", ""):
            raise ReleaseError(f"{variable} must be true or false, not {value!r}", exit_code=2)
        if value in ("true", "1"):
            architectures.append(arch)
    return architectures


def _promote(args: argparse.Namespace) -> int:
    validate_repository(args.source)
    validate_repository(args.target)
    validate_tag(args.version)
    # Decide before anything is copied, so a registry error leaves the release registry untouched.
    decision = _decide(args, tag=args.version, repository=args.target)
    print(
        f"release: latest {'moves' if decision.update else 'stays'}: {decision.reason}",
        file=sys.stderr,
    )
    result = promote(
        source=args.source,
        target=args.target,
        version=args.version,
        decision=decision,
        registry=_registry(args),
    )
    print(result.released)
    if result.latest_moved:
        print(f"{args.target}:latest")
    return 0


def _e2c(args: argparse.Namespace) -> int:
    from release_tool.e2c import lifecycle  # boto3 loads only for the e2c commands

    env = dict(os.environ)
    if args.phase == "setup":
        current = lifecycle.setup(env, args.state_dir)
        lines = [f"{current.TARGET_INSTANCE_ID} {current.E2C_PUBLIC_IP}"]
    elif args.phase == "teardown":
        lines = [lifecycle.teardown(env, args.state_dir)]
    elif args.phase == "status":
        lines = lifecycle.status(env, args.state_dir)
    else:
        lines = lifecycle.reap(env, dry_run=args.dry_run) or ["nothing to reap"]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
