import {defineConfig} from 'vitest/config'

/**
 * Generous bounds for a loaded 2-core CI machine: the end-to-end tests build host trees on disk and
 * run real pmcd, sshd and systemd-analyze. Each test still has a bound; none waits without one.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
})
