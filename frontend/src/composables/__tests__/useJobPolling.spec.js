import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'

import { useStubHttp } from '@/__tests__/support/http.js'

import { useJobPolling } from '../useJobPolling.js'

const server = useStubHttp()
let scope

function statuses(...sequence) {
  let call = 0
  server.on('GET', 'jobs/status/1/', () => {
    const status = sequence[Math.min(call, sequence.length - 1)]
    call += 1
    return { data: { id: 1, title: 'T', status } }
  })
}

function startPolling(options) {
  scope = effectScope()
  return scope.run(() => useJobPolling(options))
}

beforeEach(() => {
  vi.useFakeTimers()
})

afterEach(() => {
  scope?.stop()
  vi.useRealTimers()
})

describe('useJobPolling', () => {
  it('polls every 2 s and stops on completed, calling onFinished once', async () => {
    statuses('processing', 'completed')
    const onFinished = vi.fn()
    const polling = startPolling({ onFinished })
    polling.start(1, { id: 1, status: 'pending' })

    await vi.advanceTimersByTimeAsync(1999)
    expect(server.requests).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(polling.job.value.status).toBe('processing')
    await vi.advanceTimersByTimeAsync(2000)
    expect(polling.job.value.status).toBe('completed')
    expect(polling.isPolling.value).toBe(false)
    expect(onFinished).toHaveBeenCalledExactlyOnceWith(
      expect.objectContaining({ status: 'completed' }),
    )

    await vi.advanceTimersByTimeAsync(60_000)
    expect(server.requests).toHaveLength(2)
  })

  it('stops on failed', async () => {
    statuses('failed')
    const polling = startPolling()
    polling.start(1)
    await vi.advanceTimersByTimeAsync(2000)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(polling.job.value.status).toBe('failed')
    expect(server.requests).toHaveLength(1)
  })

  it('backs off while the status stays the same, up to 10 s', async () => {
    statuses('processing')
    const polling = startPolling()
    polling.start(1, { id: 1, status: 'processing' })
    // Waits: 2 s, 3 s, 4.5 s, 6.75 s, 10 s, 10 s ...
    const times = []
    for (let elapsed = 0; elapsed <= 40_000; elapsed += 250) {
      const before = server.requests.length
      await vi.advanceTimersByTimeAsync(250)
      if (server.requests.length > before) times.push(elapsed + 250)
    }
    const gaps = times.map((time, i) => time - (times[i - 1] ?? 0))
    expect(gaps.slice(0, 6)).toEqual([2000, 3000, 4500, 6750, 10000, 10000])
  })

  it('keeps the short interval while the phase moves', async () => {
    const phases = ['prepare', 'analyse', 'save']
    server.on('GET', 'jobs/status/1/', () => ({
      data: { id: 1, status: 'processing', phase: phases.shift() ?? 'save' },
    }))
    const polling = startPolling()
    polling.start(1, { id: 1, status: 'processing', phase: null })
    await vi.advanceTimersByTimeAsync(6000)
    expect(server.requests).toHaveLength(3)
    expect(polling.job.value.phase).toBe('save')
  })

  it('stops when the component goes away', async () => {
    statuses('processing')
    const polling = startPolling()
    polling.start(1)
    await vi.advanceTimersByTimeAsync(2000)
    scope.stop()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(server.requests).toHaveLength(1)
    expect(polling.isPolling.value).toBe(false)
  })

  it('ignores an answer that arrives after stop()', async () => {
    let release
    server.on('GET', 'jobs/status/1/', () => new Promise((resolve) => (release = resolve)))
    const polling = startPolling()
    polling.start(1, { id: 1, status: 'pending' })
    await vi.advanceTimersByTimeAsync(2000)
    polling.stop()
    release({ data: { id: 1, status: 'completed' } })
    await vi.advanceTimersByTimeAsync(0)
    expect(polling.job.value.status).toBe('pending')
  })

  it('keeps trying through failed requests, then gives up with the message', async () => {
    server.on('GET', 'jobs/status/1/', { status: 503, data: { detail: 'Unavailable.' } })
    const polling = startPolling({ maxErrors: 3 })
    polling.start(1)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(server.requests).toHaveLength(3)
    expect(polling.error.value).toBe('Unavailable.')
    expect(polling.isPolling.value).toBe(false)
  })

  it('gives up at once on 404 (job deleted)', async () => {
    server.on('GET', 'jobs/status/1/', { status: 404, data: { detail: 'Not found.' } })
    const polling = startPolling()
    polling.start(1)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(server.requests).toHaveLength(1)
    expect(polling.error.value).toBe('Not found.')
  })
})
