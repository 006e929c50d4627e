import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { useStubHttp } from '@/__tests__/support/http.js'

import { extractErrorMessage } from '../errors.js'
import api, { filenameFromDisposition, http } from '../rest.js'

const server = useStubHttp()

afterEach(() => {
  api.unsetAuthHeader()
})

describe('requests', () => {
  it('uses the API root of the runtime config', () => {
    expect(http.defaults.baseURL).toBe('/api/v1/')
  })

  it('logs in with email and password', async () => {
    server.on('POST', 'auth/login/', { data: { key: 'abc' } })
    const response = await api.login({ email: 'a@example.com', password: 'pw' })
    expect(response.data.key).toBe('abc')
    expect(server.requests[0].data).toEqual({ email: 'a@example.com', password: 'pw' })
  })

  it('sends the token header once set, and not after it is unset', async () => {
    server.on('GET', 'auth/user/', { data: { pk: 1 } })
    api.setAuthHeader('tok')
    await api.getUserData()
    api.unsetAuthHeader()
    await api.getUserData()
    expect(server.requests[0].headers.Authorization).toBe('Token tok')
    expect(server.requests[1].headers.Authorization).toBeUndefined()
  })

  it('asks for answers in the UI language', async () => {
    server.on('GET', 'version-info/', { data: { version: '1.0' } })
    api.setLanguage('de')
    await api.getVersionInfo()
    expect(server.requests[0].headers['Accept-Language']).toBe('de')
  })

  it('maps the settings fields both ways', async () => {
    server.on('PUT', 'settings/', (request) => ({ data: request.data }))
    const saved = await api.updateSettings({ language: 'de', pageSize: 20 })
    expect(server.requests[0].data).toEqual({ language: 'de', page_size: 20 })
    expect(saved).toEqual({ language: 'de', pageSize: 20 })
  })

  it('posts the password reset confirmation with dj-rest-auth field names', async () => {
    server.on('POST', 'auth/password/reset/confirm/', { data: { detail: 'ok' } })
    await api.confirmPasswordReset({ uid: 'u', token: 't', password1: 'a', password2: 'b' })
    expect(server.requests[0].data).toEqual({
      uid: 'u',
      token: 't',
      new_password1: 'a',
      new_password2: 'b',
    })
  })
})

describe('jobs', () => {
  it('creates a text job as JSON with nested options', async () => {
    server.on('POST', 'jobs/create/', { status: 202, data: { id: 3, status: 'pending' } })
    const job = await api.createJob({ title: 'T', text: 'words', language: 'de', topN: 5 })
    expect(server.requests[0].data).toEqual({
      title: 'T',
      text: 'words',
      options: { language: 'de', top_n: 5 },
    })
    expect(job).toMatchObject({ id: 3, status: 'pending' })
  })

  it('creates a file job as multipart', async () => {
    server.on('POST', 'jobs/create/', { status: 202, data: { id: 4, status: 'pending' } })
    const file = new File(['a,b\n1,2\n'], 'data.csv', { type: 'text/csv' })
    await api.createJob({ title: 'T', file, language: 'en', topN: 10 })
    const body = server.requests[0].data
    expect(body).toBeInstanceOf(FormData)
    expect(body.get('file').name).toBe('data.csv')
    expect(body.get('title')).toBe('T')
    expect(JSON.parse(body.get('options'))).toEqual({ language: 'en', top_n: 10 })
    expect(body.has('text')).toBe(false)
  })

  it('lists with page, page size and status, leaving out an empty filter', async () => {
    server.on('GET', 'jobs/list/', {
      data: { count: 1, next: null, previous: null, results: [{ id: 1, status: 'pending' }] },
    })
    const page = await api.listJobs({ page: 2, pageSize: 5, status: 'failed' })
    await api.listJobs({ page: 1, pageSize: 5, status: '' })
    expect(server.requests[0].params).toEqual({ page: 2, page_size: 5, status: 'failed' })
    expect(server.requests[1].params).toEqual({ page: 1, page_size: 5 })
    expect(page).toMatchObject({
      count: 1,
      hasNext: false,
      results: [{ id: 1, status: 'pending' }],
    })
  })

  it('reads results into the view shape', async () => {
    server.on('GET', 'jobs/results/9/', {
      data: {
        data: {
          word_count: 3,
          sentence_count: 1,
          char_count: 15,
          reading_time_minutes: 0.1,
          top_terms: [{ term: 'fox', count: 2 }],
          csv: {
            rows: 2,
            columns: 2,
            column_summaries: [{ name: 'a', min: 1, max: 3, mean: 2, distinct: 2 }],
          },
        },
      },
    })
    const results = await api.getJobResults(9)
    expect(results).toMatchObject({
      wordCount: 3,
      sentenceCount: 1,
      charCount: 15,
      topTerms: [{ term: 'fox', count: 2 }],
      csv: { rows: 2, columns: 2, columnSummaries: [{ name: 'a', min: 1, max: 3, mean: 2 }] },
    })
  })

  it('reads the phase of a processing job, and none it does not know', async () => {
    server
      .on('GET', 'jobs/status/5/', { data: { id: 5, status: 'processing', phase: 'save' } })
      .on('GET', 'jobs/status/6/', { data: { id: 6, status: 'processing', phase: 'upload' } })
      .on('GET', 'jobs/status/7/', { data: { id: 7, status: 'processing' } })
    expect((await api.getJobStatus(5)).phase).toBe('save')
    expect((await api.getJobStatus(6)).phase).toBeNull()
    expect((await api.getJobStatus(7)).phase).toBeNull()
  })

  it('offers the downloads the results name, in their order', async () => {
    server.on('GET', 'jobs/results/9/', {
      data: {
        files: { report: '/api/v1/jobs/download/9/report/', zip: '/api/v1/x/9/' },
        data: { top_terms: [], csv: null },
      },
    })
    expect((await api.getJobResults(9)).downloads).toEqual([
      { kind: 'report', url: '/api/v1/jobs/download/9/report/' },
      { kind: 'zip', url: '/api/v1/x/9/' },
    ])
  })

  it('uses the documented paths for status, delete and downloads', async () => {
    server
      .on('GET', 'jobs/status/5/', { data: { id: 5, status: 'processing' } })
      .on('DELETE', 'jobs/delete/5/', { status: 204 })
    await api.getJobStatus(5)
    await api.deleteJob(5)
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET jobs/status/5/',
      'DELETE jobs/delete/5/',
    ])
  })
})

describe('downloads', () => {
  let clicked

  beforeEach(() => {
    clicked = []
    window.URL.createObjectURL = vi.fn(() => 'blob:stub')
    window.URL.revokeObjectURL = vi.fn()
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function () {
      clicked.push({ href: this.href, download: this.download })
    })
  })

  it('saves the blob under the name from Content-Disposition', async () => {
    server.on('GET', 'jobs/download/5/csv/', {
      data: new Blob(['term,count\n']),
      headers: { 'content-disposition': 'attachment; filename="essay-terms.csv"' },
    })
    const name = await api.downloadJobFile(5, { kind: 'csv', url: '/api/v1/jobs/download/5/csv/' })
    expect(server.requests[0].responseType).toBe('blob')
    expect(name).toBe('essay-terms.csv')
    expect(clicked).toEqual([{ href: 'blob:stub', download: 'essay-terms.csv' }])
    expect(window.URL.revokeObjectURL).toHaveBeenCalledWith('blob:stub')
  })

  it('requests a link outside the API root as it is', async () => {
    const absolute = `${window.location.origin}/media/x.csv`
    server.on('GET', absolute, { data: new Blob(['x']) })
    expect(await api.downloadJobFile(5, { kind: 'csv', url: '/media/x.csv' })).toBe('job-5-csv')
    expect(server.requests.map((r) => r.url)).toEqual([absolute])
  })

  it('falls back to a name of its own without the header', async () => {
    server.on('GET', 'jobs/download-archive/5/', { data: new Blob(['PK']) })
    expect(await api.downloadJobArchive(5)).toBe('job-5.zip')
  })

  it('turns a JSON error body back into a DRF message', async () => {
    server.on('GET', 'jobs/download/5/report/', {
      status: 404,
      data: new Blob([JSON.stringify({ detail: 'Not found.' })], { type: 'application/json' }),
    })
    const error = await api
      .downloadJobFile(5, { kind: 'report', url: '/api/v1/jobs/download/5/report/' })
      .catch((err) => err)
    expect(extractErrorMessage(error)).toBe('Not found.')
    expect(clicked).toEqual([])
  })
})

describe('filenameFromDisposition', () => {
  it.each([
    ['attachment; filename="a b.csv"', 'a b.csv'],
    ['attachment; filename=plain.md', 'plain.md'],
    ["attachment; filename*=UTF-8''%C3%BCber%20report.md", 'über report.md'],
    ['attachment; filename="x.md"; filename*=UTF-8\'\'y.md', 'y.md'],
    ['attachment; filename="../../etc/passwd"', 'passwd'],
    ['attachment', 'fallback'],
    [undefined, 'fallback'],
  ])('%s -> %s', (header, expected) => {
    expect(filenameFromDisposition(header, 'fallback')).toBe(expected)
  })
})

describe('an invalid token', () => {
  it('calls the unauthorized handlers once and drops the header', async () => {
    server.on('GET', 'jobs/list/', { status: 401, data: { detail: 'Invalid token.' } })
    const handler = vi.fn()
    const remove = api.onUnauthorized(handler)
    api.setAuthHeader('stale')
    await expect(api.listJobs()).rejects.toMatchObject({ response: { status: 401 } })
    await expect(api.listJobs()).rejects.toMatchObject({ response: { status: 401 } })
    remove()
    expect(handler).toHaveBeenCalledTimes(1)
    expect(http.defaults.headers.common.Authorization).toBeUndefined()
  })

  it('leaves anonymous 401s alone', async () => {
    server.on('GET', 'auth/user/', { status: 401, data: { detail: 'No credentials.' } })
    const handler = vi.fn()
    const remove = api.onUnauthorized(handler)
    await expect(api.getUserData()).rejects.toBeTruthy()
    remove()
    expect(handler).not.toHaveBeenCalled()
  })
})
