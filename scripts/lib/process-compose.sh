# shellcheck shell=bash
# process-compose as this checkout's supervisor and as a client of it (needs checkout.sh first).

# Its API on a unix socket of this checkout (never :8080, never another checkout's), its own
# log in the state directory, no user-level config lookups (their debug noise would land in
# every command's output).
export PC_SOCKET_PATH="$RUN_DIR/process-compose.sock"
export PC_LOG_FILE="$STACK_LOG_DIR/process-compose.log"
export PC_DISABLE_DOTENV=1
export PC_LOG_NO_COLOR=1
if [[ ! -d "${XDG_CONFIG_HOME:-$HOME/.config}/process-compose" ]]; then
  export PROC_COMP_CONFIG="$STATE_DIR/process-compose"
fi

pc() {
  process-compose --use-uds --unix-socket "$PC_SOCKET_PATH" "$@"
}

stack_is_running() {
  [[ -S "$PC_SOCKET_PATH" ]] && pc project state >/dev/null 2>&1
}

# Prints "PID COMMAND" for the running process-compose server of this checkout and every
# process below it (each process, its children, probes in flight), from the PIDs it reports.
stack_process_tree() {
  local json
  json=$(pc process list --output json 2>/dev/null) || return 1
  ps -axo pid=,ppid=,args= | python3 -c '
import json, sys

pids = {p["pid"] for p in json.loads(sys.argv[1]) if p.get("pid")}
table = {}
for line in sys.stdin:
    pid, ppid, args = (line.split(None, 2) + [""])[:3]
    table[int(pid)] = (int(ppid), args.rstrip("\n"))
# The server is the parent of the processes it started.
roots = {table[pid][0] for pid in pids if pid in table} | pids
tree, grown = set(roots), True
while grown:
    below = {pid for pid, (ppid, _) in table.items() if ppid in tree} - tree
    tree |= below
    grown = bool(below)
for pid in sorted(tree & table.keys()):
    print(pid, table[pid][1])
' "$json"
}
