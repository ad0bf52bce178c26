// Browser origins in configuration (the backend's CORS_ORIGINS, the gateway's WS_ALLOWED_ORIGINS): comma-separated, each exactly as browsers send the `Origin` header.

/**
 * What is wrong with one origin of a list, or undefined when it is an origin as a browser sends it in the `Origin`
 * header (RFC 6454 §6.2, the WHATWG URL "origin" serialization): `http` or `https`, a host, a port only when it is
 * not the scheme's default, nothing else, and in that spelling (lower-case host), since the header is compared with
 * the entry character for character.
 */
export function originProblem(entry: string): string | undefined {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return "must be an origin scheme://host[:port]";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http or https origin";
  if (url.username !== "" || url.password !== "" || url.pathname !== "/" || url.search !== "" || url.hash !== "") {
    return "must be an origin scheme://host[:port], without a user, path, query or fragment";
  }
  if (url.origin !== entry) return `must be written as a browser sends it: ${url.origin}`;
  return undefined;
}

/** The entries of a comma-separated list of origins, trimmed; empty entries (a trailing comma) are skipped. */
export function originEntries(list: string | undefined): string[] {
  return (list ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

/** One problem per entry of the list in `variable` that is not an exact origin, naming the variable and the entry. */
export function originListProblems(variable: string, list: string | undefined): string[] {
  return originEntries(list).flatMap((entry) => {
    const problem = originProblem(entry);
    return problem === undefined ? [] : [`${variable} entry ${JSON.stringify(entry)} ${problem}`];
  });
}
