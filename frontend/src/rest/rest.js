// The one API module: every request goes through `http`, so the token, the language header and
// the logout on a revoked token apply to all of them; nothing else in the app imports axios.
import axios from 'axios'

import { readAppConfig } from '@/config.js'
import { jobRequestBody, normalizeJob, normalizePage, normalizeResults } from './jobs-adapter.js'

export const http = axios.create({ baseURL: readAppConfig().apiRoot })

const unauthorizedHandlers = new Set()

// /api/v1/settings/ and auth/user/ both carry the user's UI settings.
export function normalizeSettings(raw) {
  return { language: raw.language, pageSize: raw.page_size }
}

// A token that stops working (revoked, user deleted) answers 401 on any call; the auth store
// registers a handler (onUnauthorized) that logs out. The header is dropped first so the logout call itself
// cannot trigger the handler again.
http.interceptors.response.use(undefined, (error) => {
  if (error.response?.status === 401 && http.defaults.headers.common.Authorization) {
    unsetAuthHeader()
    for (const handler of unauthorizedHandlers) handler()
  }
  return Promise.reject(error)
})

function setAuthHeader(token) {
  http.defaults.headers.common.Authorization = `Token ${token}`
}

function unsetAuthHeader() {
  delete http.defaults.headers.common.Authorization
}

// Content-Disposition: attachment; filename="a.csv"; filename*=UTF-8''a%20b.csv
export function filenameFromDisposition(header, fallback) {
  if (!header) return fallback
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header)
  if (extended) {
    try {
      return decodeURIComponent(extended[2].trim().replace(/^"|"$/g, ''))
    } catch {
      // Malformed percent-encoding: fall through to the plain filename.
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/i.exec(header)
  const name = plain ? (plain[2] ?? plain[1]).trim() : ''
  // Only the last path part: a server never gets to pick a directory.
  return name.split(/[\\/]/).pop() || fallback
}

function triggerBlobDownload(blob, filename) {
  const url = window.URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  document.body.appendChild(link)
  link.click()
  document.body.removeChild(link)
  window.URL.revokeObjectURL(url)
}

// With responseType 'blob' an error body is a Blob too; turn DRF's JSON back into an object so
// extractErrorMessage can read it.
async function decodeBlobError(error) {
  const data = error.response?.data
  if (data instanceof Blob) {
    const text = await data.text()
    try {
      error.response.data = JSON.parse(text)
    } catch {
      error.response.data = text
    }
  }
  throw error
}

// The API's own links are absolute paths (/api/v1/jobs/download/...): one under the API root is
// requested relative to it, like every other call; any other is taken as it is.
function requestPath(url) {
  const root = http.defaults.baseURL
  return url.startsWith(root) ? url.slice(root.length) : new URL(url, window.location.href).href
}

async function download(path, fallbackName) {
  const response = await http.get(path, { responseType: 'blob' }).catch(decodeBlobError)
  const filename = filenameFromDisposition(response.headers['content-disposition'], fallbackName)
  triggerBlobDownload(response.data, filename)
  return filename
}

export default {
  setAuthHeader,
  unsetAuthHeader,
  // Returns the function that removes the handler again.
  onUnauthorized(handler) {
    unauthorizedHandlers.add(handler)
    return () => unauthorizedHandlers.delete(handler)
  },
  // Django's LocaleMiddleware then answers validation messages in the UI's language.
  setLanguage(language) {
    http.defaults.headers.common['Accept-Language'] = language
  },

  // Auth (dj-rest-auth)
  login({ email, password }) {
    return http.post('auth/login/', { email, password })
  },
  logout() {
    return http.post('auth/logout/')
  },
  getUserData() {
    return http.get('auth/user/')
  },
  register({ email, password1, password2 }) {
    return http.post('auth/registration/', { email, password1, password2 })
  },
  verifyEmail(key) {
    return http.post('auth/registration/verify-email/', { key })
  },
  requestPasswordReset(email) {
    return http.post('auth/password/reset/', { email })
  },
  confirmPasswordReset({ uid, token, password1, password2 }) {
    return http.post('auth/password/reset/confirm/', {
      uid,
      token,
      new_password1: password1,
      new_password2: password2,
    })
  },

  // Project
  async getVersionInfo() {
    return (await http.get('version-info/')).data
  },
  async getSettings() {
    return normalizeSettings((await http.get('settings/')).data)
  },
  async updateSettings({ language, pageSize }) {
    const body = { language, page_size: pageSize }
    return normalizeSettings((await http.put('settings/', body)).data)
  },

  // Jobs
  async createJob(input) {
    return normalizeJob((await http.post('jobs/create/', jobRequestBody(input))).data)
  },
  async getJobStatus(id) {
    return normalizeJob((await http.get(`jobs/status/${id}/`)).data)
  },
  async getJobResults(id) {
    return normalizeResults((await http.get(`jobs/results/${id}/`)).data)
  },
  async listJobs({ page = 1, pageSize = 10, status = '' } = {}) {
    const params = { page, page_size: pageSize }
    if (status) params.status = status
    return normalizePage((await http.get('jobs/list/', { params })).data)
  },
  deleteJob(id) {
    return http.delete(`jobs/delete/${id}/`)
  },
  // `file` is one of the results' downloads: {kind, url}.
  downloadJobFile(id, file) {
    return download(requestPath(file.url), `job-${id}-${file.kind}`)
  },
  // The list's items carry no links, so its one download (the archive) uses the documented path.
  downloadJobArchive(id) {
    return download(`jobs/download-archive/${id}/`, `job-${id}.zip`)
  },
}
