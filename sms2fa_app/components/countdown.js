// Waits the server decided, counted down in the browser: the server sends a deadline once (epoch ms, its
// clock) and these components tick without any server event. The server still refuses early requests.
import { createElement, useEffect, useState } from "react";
import { Button } from "@radix-ui/themes";

// Whole seconds until `deadline`, at most `maxSeconds` (a client clock running behind the server's never
// shows a longer wait than the server imposes). Re-renders when the shown number changes, then stops.
export function useSecondsLeft(deadline, maxSeconds) {
  const left = () => {
    const ms = Number(deadline || 0) - Date.now();
    const seconds = ms > 0 ? Math.ceil(ms / 1000) : 0;
    return maxSeconds > 0 ? Math.min(seconds, maxSeconds) : seconds;
  };
  const [seconds, setSeconds] = useState(left);
  useEffect(() => {
    let timer = null;
    const tick = () => {
      const now = left();
      setSeconds(now);
      if (now > 0) {
        const ms = Number(deadline) - Date.now();
        timer = setTimeout(tick, ((ms % 1000) + 1000) % 1000 || 1000);
      }
    };
    tick();
    return () => clearTimeout(timer);
  }, [deadline, maxSeconds]);
  return seconds;
}

// {seconds}: the whole seconds left; {clock}: the same as m:ss (4:32).
const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
const fill = (template, seconds) =>
  String(template ?? "").replaceAll("{seconds}", String(seconds)).replaceAll("{clock}", clock(seconds));

// Text: `waiting` with {seconds} filled in while the wait runs, then `ready`.
export function Countdown({ deadline, maxSeconds, waiting, ready }) {
  const seconds = useSecondsLeft(deadline, maxSeconds);
  return createElement("span", { role: "timer" }, seconds > 0 ? fill(waiting, seconds) : ready ?? "");
}

// A Radix button disabled while the wait runs (and while `busy`), labelled like Countdown.
export function CountdownButton({ deadline, maxSeconds, waiting, ready, busy, ...rest }) {
  const seconds = useSecondsLeft(deadline, maxSeconds);
  const label = seconds > 0 ? fill(waiting, seconds) : ready;
  return createElement(Button, { ...rest, disabled: seconds > 0 || Boolean(busy), loading: Boolean(busy) }, label);
}
