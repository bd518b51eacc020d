import { useEffect, useRef, useState } from "react";

/**
 * A form opened by a button that hides while the form shows (Register cloud, Create VPC, Launch
 * instance): when the form closes and the focus went with it (onto the page's body), the focus goes
 * back to the button, so a keyboard goes on from where it was.
 */
export function useDisclosure() {
  const [open, setOpen] = useState(false);
  const opener = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  useEffect(() => {
    const lost = !document.activeElement || document.activeElement === document.body;
    if (wasOpen.current && !open && lost) opener.current?.focus();
    wasOpen.current = open;
  }, [open]);
  return { open, show: () => setOpen(true), hide: () => setOpen(false), opener };
}
