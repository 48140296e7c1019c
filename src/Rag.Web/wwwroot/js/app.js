// Shared by every page: the antiforgery token for /app-api calls, and confirmation of destructive plain forms.

/** The token the server rendered into the page; /app-api checks it on every POST. */
export function antiforgeryToken() {
  return document.querySelector('meta[name="rag-antiforgery"]')?.content ?? '';
}

/** Headers for a same-origin call to /app-api. */
export function appApiHeaders(extra = {}) {
  return { RequestVerificationToken: antiforgeryToken(), ...extra };
}

/** Words a person understands from an /app-api failure (problem details, or the status alone). */
export async function describeFailure(response) {
  if (response.status === 401) {
    return 'Please sign in to continue.';
  }
  try {
    const problem = await response.json();
    if (problem && (problem.title || problem.detail)) {
      return [problem.title, problem.detail].filter(Boolean).join('. ');
    }
  } catch {
    // Not JSON: fall through to the status.
  }
  return response.status >= 500
    ? 'The service is unavailable right now. Please try again in a moment.'
    : `The request was not accepted (${response.status}).`;
}

document.addEventListener('submit', (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
