/**
 * A JavaScript expression, for a probe preloaded into a child process, that is the process's own
 * peak RSS in KiB. `process.resourceUsage().maxRSS` is not that on Linux: Node starts a child with
 * fork() and exec(), and the kernel carries the forked copy's high-water mark across exec
 * (`setmax_mm_hiwater_rss` in fs/exec.c), so a child of a big process reads as big as its parent
 * was (measured: 304 MiB for a bare `node -e` started by a process holding 300 MiB, whose own peak
 * was 41 MiB). VmHWM in /proc/self/status is the peak of the memory the process got at exec.
 * Elsewhere (macOS) maxRSS is what there is.
 */
export const OWN_PEAK_RSS_KIB = `(() => {
  try {
    return Number(/^VmHWM:\\s+(\\d+) kB/m.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1]);
  } catch {
    return process.resourceUsage().maxRSS;
  }
})()`;
