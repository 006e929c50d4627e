import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'

import { JOB_ID, jobJson, resultsJson, useStubHttp } from '@/__tests__/support/http.js'
import { normalizeJob } from '@/rest/jobs-adapter.js'

import { useJob } from '../useJob.js'

const server = useStubHttp()
let scope

function followed() {
  scope = effectScope()
  return scope.run(() => useJob())
}

beforeEach(() => {
  vi.useFakeTimers()
})

afterEach(() => {
  scope?.stop()
  vi.useRealTimers()
})

describe('useJob', () => {
  it('polls a running job, then loads the results once it completed', async () => {
    let call = 0
    server
      .on('GET', `jobs/status/${JOB_ID}/`, () => ({
        data: jobJson({ status: call++ < 1 ? 'processing' : 'completed' }),
      }))
      .on('GET', `jobs/results/${JOB_ID}/`, { data: resultsJson() })
    const job = followed()
    await job.follow(normalizeJob(jobJson({ status: 'pending' })))
    expect(job.isPolling.value).toBe(true)
    expect(job.results.value).toBeNull()

    await vi.advanceTimersByTimeAsync(4000)
    expect(job.job.value.status).toBe('completed')
    expect(job.results.value.wordCount).toBe(120)
    expect(server.requestsTo('GET', `jobs/results/${JOB_ID}/`)).toHaveLength(1)
  })

  it('loads the results of a job that had already completed, without polling', async () => {
    server.on('GET', `jobs/results/${JOB_ID}/`, { data: resultsJson() })
    const job = followed()
    await job.follow(normalizeJob(jobJson()))
    expect(job.results.value.topTerms[0]).toEqual({ term: 'river', count: 5 })
    expect(job.isPolling.value).toBe(false)
    expect(server.requestsTo('GET', `jobs/status/${JOB_ID}/`)).toEqual([])
  })

  it('asks for no results of a failed job', async () => {
    const job = followed()
    await job.follow(normalizeJob(jobJson({ status: 'failed', error_message: 'Bad CSV.' })))
    expect(job.job.value.errorMessage).toBe('Bad CSV.')
    expect(server.requests).toEqual([])
  })

  it('keeps the message when the results cannot be loaded', async () => {
    server.on('GET', `jobs/results/${JOB_ID}/`, {
      status: 404,
      data: { detail: "The job's results are no longer stored." },
    })
    const job = followed()
    await job.follow(normalizeJob(jobJson()))
    expect(job.results.value).toBeNull()
    expect(job.resultsError.value).toBe("The job's results are no longer stored.")
  })

  it('drops results that arrive after clear()', async () => {
    let release
    server.on('GET', `jobs/results/${JOB_ID}/`, () => new Promise((resolve) => (release = resolve)))
    const job = followed()
    const loading = job.follow(normalizeJob(jobJson()))
    await vi.advanceTimersByTimeAsync(0)
    job.clear()
    release({ data: resultsJson() })
    await loading
    expect(job.job.value).toBeNull()
    expect(job.results.value).toBeNull()
  })
})
