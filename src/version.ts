/** Sent as the User-Agent so KlearStack's operators can tell our traffic apart. Kept equal to package.json by a test. */
export const ACTION_NAME = 'klear-token-action';
export const ACTION_VERSION = '1.0.0';
export const USER_AGENT = `${ACTION_NAME}/${ACTION_VERSION}`;
