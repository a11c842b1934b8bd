// The console's only door to govflow: JSON over /api/v1 with the session cookie, the CSRF token
// on every change, and RFC 9457 problem+json errors turned into ApiError values.

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  // The offending field of a 4xx, when the server names one.
  field?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

let csrfToken = "";

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

async function request<T>(method: string, path: string, body?: unknown,
                          extra: Record<string, string> = {},
                          seen?: (response: Response) => void,
                          signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", ...extra };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  seen?.(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { title: text };
    }
  }
  if (!response.ok) throw new ApiError(response.status, (parsed as Problem) ?? {});
  return parsed as T;
}

export const api = {
  // `signal`: an AbortController's, to drop a read the page no longer needs (e.g. a filter that
  // changed while typing); the promise then rejects with an AbortError.
  get: <T>(path: string, signal?: AbortSignal) =>
    request<T>("GET", path, undefined, {}, undefined, signal),
  post: <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
    request<T>("POST", path, body ?? {}, headers),
  // A GET that also answers the ETag (governed documents: sent back as If-Match on a change).
  getTagged: async <T>(path: string): Promise<{ body: T; etag: string }> => {
    let etag = "";
    const body = await request<T>("GET", path, undefined, {}, (r) => { etag = r.headers.get("ETag") ?? ""; });
    return { body, etag };
  },
  del: <T>(path: string) => request<T>("DELETE", path),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, body),
};

// ---- Types of the routes the shell uses (docs/openapi.yaml is the reference). ----

export interface Branding {
  product_name: string;
  logo_url?: string;
  favicon_url?: string;
  colors?: { primary?: string; accent?: string; background?: string; text?: string };
  support?: { email?: string; url?: string; phone?: string };
}

export interface UserSummary {
  id: string;
  email: string;
  display_name: string;
}

export interface TenantAccess {
  id: string;
  display_name?: string;
  roles: string[];
  permissions: string[];
}

export interface Me {
  user: UserSummary;
  csrf_token: string;
  partner_roles?: string[];
  tenants: TenantAccess[];
}

export interface SessionCreated {
  user: UserSummary;
  csrf_token: string;
}
