// The browser's credential cookies are HttpOnly: no script reads them. When the server issues or ends a credential,
// its update carries a single-use ticket (state/session.py); this component posts it at once to the app's cookie
// endpoint, whose answer sets or clears the cookies (api/session_cookie.py). A sign-in that forward-auth sent here
// (`rd`) goes back to that app only after the cookie exists, since its proxy checks the cookie.
import { useEffect } from "react";
import { getBackendURL } from "$/utils/state";
import env from "$/env.json";

const COOKIE_ENDPOINT = "/api/session/cookie";
// Where the app kept its tokens before they became HttpOnly cookies: read by nothing any more, removed once.
const LEGACY_KEYS = ["sms2fa_session", "sms2fa_device"];

function cookieEndpoint() {
  const url = getBackendURL(env.PING); // the backend's address, as Reflex's own calls reach it
  url.pathname = COOKIE_ENDPOINT;
  url.search = "";
  return url;
}

export function SessionCookie({ ticket, returnTo }) {
  useEffect(() => {
    for (const key of LEGACY_KEYS) {
      try {
        window.localStorage.removeItem(key);
      } catch (_error) {
        // storage disabled: nothing was kept there either
      }
    }
  }, []);
  useEffect(() => {
    if (!ticket) {
      return;
    }
    fetch(cookieEndpoint(), {
      method: "POST",
      credentials: "include",
      cache: "no-store",
      headers: { "Content-Type": "text/plain" },
      body: ticket,
    })
      .then((response) => response.ok)
      .catch(() => false)
      .then((ok) => {
        if (returnTo) {
          window.location.assign(ok ? returnTo : "/dashboard");
        }
      });
  }, [ticket]);
  return null;
}
