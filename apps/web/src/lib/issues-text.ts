/**
 * The API's validation issues as one line a person reads: each issue as "field: message", unless
 * the message already starts with the field's name ("name is required", "cidr must be…"): then the
 * path replaces that name instead of repeating it (issue 17: the console read "name: name: …").
 */
export function issuesText(issues: { path: string; message: string }[]): string {
  return issues.map(issueText).join("; ");
}

function issueText({ path, message }: { path: string; message: string }): string {
  if (!path) return message;
  const field = path.split(".").at(-1) ?? path;
  if (message === field || message.startsWith(`${field}:`) || message.startsWith(`${field} `))
    return `${path}${message.slice(field.length)}`;
  return `${path}: ${message}`;
}
