// A stub HTTP layer under the real axios instance of rest.js: requests pass through axios
// (interceptors, headers, params, body serialisation) and end here instead of the network.
import { afterEach, beforeEach } from 'vitest'

import { http } from '@/rest/rest.js'

function parseBody(data) {
  if (typeof data !== 'string') return data
  try {
    return JSON.parse(data)
  } catch {
    return data
  }
}

function matches(route, request) {
  if (route.method !== request.method) return false
  return route.url instanceof RegExp ? route.url.test(request.url) : route.url === request.url
}

// Registers its own hooks: each test starts with no routes and no requests, and the real adapter
// is back after it. Call it at the top of a spec file, before any hook that adds routes.
export function useStubHttp() {
  const routes = []
  const requests = []
  let originalAdapter

  async function answer(config) {
    const headers = config.headers?.toJSON ? config.headers.toJSON() : { ...config.headers }
    const request = {
      method: config.method.toUpperCase(),
      url: config.url,
      params: config.params ?? {},
      data: parseBody(config.data),
      headers,
      responseType: config.responseType,
    }
    requests.push(request)
    const route = routes.findLast((candidate) => matches(candidate, request))
    if (!route || route.reply === 'network-error') {
      // What axios gives when no answer arrives: an error without a response.
      const error = new Error('Network Error')
      error.config = config
      error.isAxiosError = true
      throw error
    }
    const reply = typeof route.reply === 'function' ? await route.reply(request) : route.reply
    const response = {
      status: reply.status ?? 200,
      statusText: '',
      data: reply.data ?? '',
      headers: reply.headers ?? {},
      config,
      request: {},
    }
    if (config.validateStatus(response.status)) return response
    const error = new Error(`Request failed with status code ${response.status}`)
    Object.assign(error, { response, config, isAxiosError: true })
    throw error
  }

  beforeEach(() => {
    routes.length = 0
    requests.length = 0
    originalAdapter = http.defaults.adapter
    http.defaults.adapter = answer
  })
  afterEach(() => {
    http.defaults.adapter = originalAdapter
  })

  return {
    requests,
    on(method, url, reply) {
      routes.push({ method, url, reply })
      return this
    },
    requestsTo(method, url) {
      return requests.filter((request) => matches({ method, url }, request))
    },
  }
}

// Answers in the jobs API's shapes (backend/jobs serializers).
export const JOB_ID = 'c0ffee00-0000-4000-8000-000000000007'

export function jobJson(overrides = {}) {
  return {
    id: JOB_ID,
    title: 'Essay',
    status: 'completed',
    error_message: '',
    created_at: '2026-01-15T10:00:00Z',
    started_at: '2026-01-15T10:00:01Z',
    finished_at: '2026-01-15T10:00:05Z',
    ...overrides,
  }
}

export function resultsJson(overrides = {}) {
  return {
    id: JOB_ID,
    title: 'Essay',
    status: 'completed',
    files: {
      csv: `/api/v1/jobs/download/${JOB_ID}/csv/`,
      report: `/api/v1/jobs/download/${JOB_ID}/report/`,
      archive: `/api/v1/jobs/download-archive/${JOB_ID}/`,
    },
    data: {
      language: 'en',
      word_count: 120,
      sentence_count: 9,
      char_count: 700,
      reading_time_minutes: 1,
      distinct_terms: 80,
      top_terms: [
        { term: 'river', count: 5 },
        { term: 'stone', count: 3 },
      ],
      csv: null,
      ...overrides,
    },
  }
}
