import { onScopeDispose, ref } from 'vue'

import { extractErrorMessage } from '@/rest/errors.js'
import { FINISHED_STATUSES } from '@/rest/jobs-adapter.js'
import api from '@/rest/rest.js'

// Polls a job's status: every `interval` ms while it moves (status or phase), slowing by `backoff` up to
// `maxInterval` while it does not (a long job costs few requests), and doubling the wait after a
// failed request. Stops on completed/failed, after `maxErrors` failures in a row, on stop(),
// and when the component using it goes away.
function sameStage(a, b) {
  return a?.status === b?.status && (a?.phase ?? null) === (b?.phase ?? null)
}

export function useJobPolling({
  interval = 2000,
  maxInterval = 10000,
  backoff = 1.5,
  maxErrors = 5,
  onFinished = () => {},
} = {}) {
  const job = ref(null)
  const error = ref(null)
  const isPolling = ref(false)

  let timer = null
  let delay = interval
  let failures = 0
  // Bumped by stop(): an answer to a request sent before it is ignored.
  let run = 0

  function schedule(thisRun, id) {
    timer = setTimeout(() => poll(thisRun, id), delay)
  }

  async function poll(thisRun, id) {
    try {
      const next = await api.getJobStatus(id)
      if (thisRun !== run) return
      failures = 0
      delay = sameStage(next, job.value) ? Math.min(delay * backoff, maxInterval) : interval
      job.value = next
      if (FINISHED_STATUSES.includes(next.status)) {
        isPolling.value = false
        onFinished(next)
        return
      }
    } catch (err) {
      if (thisRun !== run) return
      failures += 1
      if (failures >= maxErrors || err.response?.status === 404) {
        error.value = extractErrorMessage(err)
        isPolling.value = false
        return
      }
      delay = Math.min(delay * 2, maxInterval)
    }
    schedule(thisRun, id)
  }

  function start(id, initialJob = null) {
    stop()
    job.value = initialJob
    error.value = null
    failures = 0
    delay = interval
    isPolling.value = true
    schedule(run, id)
  }

  function stop() {
    run += 1
    clearTimeout(timer)
    timer = null
    isPolling.value = false
  }

  onScopeDispose(stop)

  return { job, error, isPolling, start, stop }
}
