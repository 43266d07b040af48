/** The page's HTML: an empty shell the script fills; everything it shows comes from the API as JSON. */
export function dashboardPage(relativeBase: string, version: string, readOnly: boolean): string {
  const base = escapeAttribute(relativeBase);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tasks</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/assets/dashboard.css?v=${version}">
</head>
<body data-api="${base}/api" data-read-only="${readOnly}">
<div id="app"><p class="loading">Loading…</p></div>
<script src="${base}/assets/dashboard.js?v=${version}"></script>
</body>
</html>
`;
}

/**
 * The page's own URL segment, for links relative to the page: `dashboard` for `/admin/dashboard`
 * (so `dashboard/api` is `/admin/dashboard/api`), `.` when the URL ends with a slash. Relative
 * links keep working behind a proxy that serves the application under another prefix.
 */
export function relativeBase(requestPath: string): string {
  if (requestPath.endsWith('/')) return '.';
  return `./${requestPath.slice(requestPath.lastIndexOf('/') + 1)}`;
}

/** Content-Security-Policy of the page: its own script and style only, no inline code, no framing. */
export const DASHBOARD_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
