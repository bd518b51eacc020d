import { errorMessage } from "../../trpc/client.tsx";

/**
 * The one way the console shows a failure: an API or auth error, or a form's own message. Given
 * several (a page's queries and mutations), it shows the first there is; nothing when there is none.
 */
export function ErrorAlert({ error, testId }: { error: unknown; testId?: string }) {
  const first: unknown = Array.isArray(error)
    ? error.find((e: unknown) => e !== null && e !== undefined && e !== "")
    : error;
  if (first === null || first === undefined || first === "" || first === false) return null;
  return (
    <div className="alert" role="alert" data-testid={testId}>
      {typeof first === "string" ? first : errorMessage(first)}
    </div>
  );
}
