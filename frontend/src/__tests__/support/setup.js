import { beforeEach } from 'vitest'

// The auth and settings stores persist to localStorage, which jsdom keeps for a whole spec file:
// each test starts signed out with the default settings.
beforeEach(() => localStorage.clear())
