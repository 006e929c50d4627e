import { beforeEach } from 'vitest'

// The auth and settings stores persist to localStorage, which jsdom keeps for a whole spec file:
// each test starts signed out with the default settings.
beforeEach(() => localStorage.clear())

// jsdom has no canvas, and says so on stderr at every getContext call: answer as a browser
// without canvas support does, so charts draw nothing and the tables beside them stay.
HTMLCanvasElement.prototype.getContext = () => null
