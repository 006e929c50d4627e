# shellcheck shell=bash
# Named, timed steps for the check scripts (scripts/test, scripts/check): each step runs even
# when an earlier one failed; `summary` prints each one's result and time, then "N passed,
# N failed". The caller sets `selected` (step name prefixes; empty: all steps).

results=()
failures=0
skips=0
selected=()

# Whether step $1 was asked for (all are, without arguments).
wanted() {
  local prefix
  ((${#selected[@]} == 0)) && return 0
  for prefix in "${selected[@]}"; do [[ "$1" == "$prefix"* ]] && return 0; done
  return 1
}

# step NAME COMMAND...: runs one check, records pass/FAIL and its duration.
step() {
  local name=$1 started=$SECONDS rc
  shift
  wanted "$name" || return 0
  printf '\n\033[1m==> %s\033[0m\n' "$name"
  "$@"
  rc=$?
  if ((rc == 0)); then
    results+=("$(printf '%-34s %-6s %5ss' "$name" pass $((SECONDS - started)))")
  else
    failures=$((failures + 1))
    results+=("$(printf '%-34s %-6s %5ss  (exit %s)' "$name" FAIL $((SECONDS - started)) "$rc")")
  fi
}

# skip NAME REASON: a check that could not run. Shown as such, never counted as passed.
skip() {
  wanted "$1" || return 0
  skips=$((skips + 1))
  printf '\n\033[1m==> %s\033[0m\nskipped: %s\n' "$1" "$2"
  results+=("$(printf '%-34s %-6s        %s' "$1" skip "$2")")
}

# The table, and the total time since the script started.
summary() {
  local passed=$((${#results[@]} - failures - skips))
  printf '\n%-34s %-6s %6s\n' STEP RESULT TIME
  printf '%s\n' "${results[@]}"
  printf '%-34s %-6s %5ss\n' total "" "$SECONDS"
  if ((skips > 0)); then
    echo "$passed passed, $failures failed, $skips skipped"
  else
    echo "$passed passed, $failures failed"
  fi
}
