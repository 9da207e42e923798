/** KlearStack's token endpoints, relative to the API root. */
export const ENDPOINTS = {
  refresh: '/access/klearstack/getaccesstokenfromrefreshtoken',
  login: '/access/klearstack/get_access_token'
} as const;

export type Endpoint = keyof typeof ENDPOINTS;
