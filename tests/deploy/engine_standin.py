"""A stand-in for `docker` on the far side of tests/deploy/test_deploy_script.py: it records each
command (its arguments, its working directory, the APP_TAG of the .env there) as a JSON line in
ENGINE_RECORD, and answers as the engine would: `compose version` works, and the health check
of a service fails when the service is named in $HOME/unhealthy."""

import json
import os
import sys
from pathlib import Path


def env_tag(directory: Path) -> str | None:
    env_file = directory / ".env"
    if not env_file.is_file():
        return None
    tags = [
        line[len("APP_TAG=") :]
        for line in env_file.read_text().splitlines()
        if line.startswith("APP_TAG=")
    ]
    return tags[-1] if tags else None


def main(args: list[str]) -> int:
    cwd = Path.cwd()
    entry = {"args": args, "cwd": str(cwd), "saw_env_tag": env_tag(cwd)}
    with open(os.environ["ENGINE_RECORD"], "a") as record:
        record.write(json.dumps(entry) + "\n")
    if "exec" in args and "healthcheck" in args:
        service = args[args.index("exec") + 2]
        unhealthy = Path(os.environ["HOME"], "unhealthy")
        if unhealthy.is_file() and service in unhealthy.read_text().split():
            print(f"{service}: /readyz answered 503", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
