// The browser's credential cookies are HttpOnly: no script reads them. When the server issues or ends a credential,
// its update carries a single-use ticket (state/session.py); this component posts it at once to the app's cookie
// endpoint, whose answer sets or clears the cookies (api/session_cookie.py), and then drops the ticket from the
// page's state: a used ticket is worth nothing, but nothing should keep one. A sign-in that forward-auth sent here
// (`rd`) goes back to that app only after the cookie exists, since its proxy checks the cookie.
import { useContext, useEffect } from "react";
import { DispatchContext } from "$/utils/context-registry";
import { getBackendURL } from "$/utils/state";
import env from "$/env.json";

const COOKIE_ENDPOINT = "/api/session/cookie";
// Where the app kept its tokens before they became HttpOnly cookies: the session one is ended on the server once
// (the endpoint's `legacy-session:` kind), then both keys are removed.
const LEGACY_SESSION_KEY = "sms2fa_session";
const LEGACY_KEYS = [LEGACY_SESSION_KEY, "sms2fa_device"];
const LEGACY_SESSION_KIND = "legacy-session:";

function cookieEndpoint() {
  const url = getBackendURL(env.PING); // the backend's address, as Reflex's own calls reach it
  url.pathname = COOKIE_ENDPOINT;
  url.search = "";
  return url;
}

function postToEndpoint(body) {
  return fetch(cookieEndpoint(), {
    method: "POST",
    credentials: "include",
    cache: "no-store",
    headers: { "Content-Type": "text/plain" }, // a simple request: no preflight
    body,
  })
    .then((response) => response.ok)
    .catch(() => false);
}

function readLegacySession() {
  try {
    return window.localStorage.getItem(LEGACY_SESSION_KEY);
  } catch (_error) {
    return null; // storage disabled: nothing was kept there either
  }
}

function removeLegacyKeys() {
  for (const key of LEGACY_KEYS) {
    try {
      window.localStorage.removeItem(key);
    } catch (_error) {
      // storage disabled: nothing was kept there either
    }
  }
}

export function SessionCookie({ ticket, returnTo, stateName, ticketKey }) {
  const dispatch = useContext(DispatchContext);
  useEffect(() => {
    const legacySession = readLegacySession();
    if (!legacySession) {
      removeLegacyKeys();
      return;
    }
    postToEndpoint(LEGACY_SESSION_KIND + legacySession).then(removeLegacyKeys);
  }, []);
  useEffect(() => {
    if (!ticket) {
      return;
    }
    const posted = postToEndpoint(ticket);
    dispatch?.[stateName]?.({ [ticketKey]: "" }); // posted: the page keeps no copy
    posted.then((ok) => {
      if (returnTo) {
        window.location.assign(ok ? returnTo : "/dashboard");
      }
    });
  }, [ticket]);
  useEffect(() => {
    // Signed in already (no ticket): a full page load, since `returnTo` may be no page of this bundle (the OpenID
    // provider's /oauth2/authorize), where the router would show "Page not found".
    if (returnTo && !ticket) {
      window.location.assign(returnTo);
    }
  }, [returnTo]);
  return null;
}
