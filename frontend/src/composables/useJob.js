import { ref } from 'vue'

import { extractErrorMessage } from '@/rest/errors.js'
import { FINISHED_STATUSES } from '@/rest/jobs-adapter.js'
import api from '@/rest/rest.js'

import { useJobPolling } from './useJobPolling.js'

// A job followed until it ends: its status polled while it runs (useJobPolling), then the
// results of a completed one loaded. The create and the detail view both show a job this way.
export function useJob(pollingOptions = {}) {
  const results = ref(null)
  const resultsError = ref('')
  const polling = useJobPolling({ ...pollingOptions, onFinished: loadResults })
  // Bumped by clear(): results asked for before it belong to a job no longer shown.
  let generation = 0

  async function loadResults(finished) {
    if (finished.status !== 'completed') return
    const asked = generation
    try {
      const loaded = await api.getJobResults(finished.id)
      if (asked === generation) results.value = loaded
    } catch (err) {
      if (asked === generation) resultsError.value = extractErrorMessage(err)
    }
  }

  // `current` is the job as the API last answered (just created, or just fetched). The promise
  // settles once a job that had already completed has its results.
  function follow(current) {
    clear()
    if (!FINISHED_STATUSES.includes(current.status)) {
      polling.start(current.id, current)
      return Promise.resolve()
    }
    polling.job.value = current
    return loadResults(current)
  }

  function clear() {
    generation += 1
    polling.stop()
    polling.job.value = null
    polling.error.value = null
    results.value = null
    resultsError.value = ''
  }

  return {
    job: polling.job,
    error: polling.error,
    isPolling: polling.isPolling,
    results,
    resultsError,
    follow,
    clear,
  }
}
