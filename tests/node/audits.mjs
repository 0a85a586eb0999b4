// The GraphQL-over-HTTP specification's server audits (graphql-http's `serverAudits`) against a running gateway.
//   node audits.mjs <url>
// Prints one JSON array: {id, name, status ("ok" | "error" | "warn" | "notice"), reason, response} per audit,
// where response holds a failing answer's status, content type and (the start of) its body.
// No token is sent: the audits' `{ __typename }`-style documents need none on this gateway.
// Run by tests/test_graphql_over_http_audits.py.
import { serverAudits } from "graphql-http";

const [url] = process.argv.slice(2);
if (!url) {
  console.error("usage: node audits.mjs <url>");
  process.exit(2);
}

async function describe(response) {
  if (!response) return null;
  let body = "";
  try {
    body = (await response.text()).slice(0, 500);
  } catch (error) {
    body = `<body not readable: ${error}>`;
  }
  return { status: response.status, contentType: response.headers.get("content-type"), body };
}

const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  results.push({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.reason ?? null,
    response: result.status === "ok" ? null : await describe(result.response),
  });
}
process.stdout.write(JSON.stringify(results));
