import type { Metadata } from "next";
import type { ReactNode } from "react";
import { Providers } from "../trpc/client.tsx";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "NVI console", template: "%s · NVI console" },
  description: "One private network across all your clouds",
};

/** Sets the theme before first paint: the saved choice, else the system's. */
const themeScript = `try{var t=localStorage.getItem("nvi-theme");if(t!=="light"&&t!=="dark")t=matchMedia("(prefers-color-scheme: dark)").matches?"dark":"light";document.documentElement.dataset.theme=t}catch(e){}`;

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning data-hydration="pending">
      <head>
        <script dangerouslySetInnerHTML={{ __html: themeScript }} />
      </head>
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
