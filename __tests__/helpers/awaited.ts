/**
 * What an end-to-end command waits for instead of a fixed `sleep`: a file the test writes once the
 * stand-in has seen what the test needs, or the token file changing. A loaded machine then only makes
 * a test slower, never moves an event past the command's end. Each wait has a cap so that a step whose
 * event never comes still ends; the test's own expectations then say what was missing.
 */

/** Shell: wait until the file at `path` (a shell word, e.g. `"$DONE"`) exists, at most `capSeconds`. */
export function untilFile(path: string, capSeconds = 30): string {
  return `i=0; while [ ! -e ${path} ] && [ $i -lt ${capSeconds * 10} ]; do sleep 0.1; i=$((i+1)); done`;
}

/**
 * Shell: wait until the run-mode token file holds another token than when the wait began, at most
 * `capSeconds`: a refresh has been handed to the command, and its mask written before it (the action
 * masks a token before it writes the file).
 */
export function untilTokenFileChanges(capSeconds = 30): string {
  return [
    'was=$(cat "$KLEAR_ACCESS_TOKEN_FILE")',
    `i=0; while [ "$(cat "$KLEAR_ACCESS_TOKEN_FILE")" = "$was" ] && [ $i -lt ${capSeconds * 10} ]; do sleep 0.1; i=$((i+1)); done`
  ].join('\n');
}

/**
 * Shell: the condition of a loop that counts its rounds in `$i`: at least `min` rounds, then more until
 * the file `$DONE` exists, at most `cap` rounds in all.
 */
export function roundsUntilDone(min: number, cap: number): string {
  return `[ $i -lt ${min} ] || { [ ! -e "$DONE" ] && [ $i -lt ${cap} ]; }`;
}
