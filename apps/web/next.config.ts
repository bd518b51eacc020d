import type { NextConfig } from "next";

/**
 * The console's Content-Security-Policy: everything from the console itself, nothing framed, no
 * plugins, no foreign form targets. Next.js puts inline scripts in every page (the flight data and
 * our theme script), so scripts need 'unsafe-inline' (a nonce would force every page to render per
 * request); `next dev` also needs 'unsafe-eval' for React's debugging.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${process.env.NODE_ENV === "development" ? " 'unsafe-eval'" : ""}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const config: NextConfig = {
  transpilePackages: ["@nvi/api", "@nvi/core", "@nvi/contracts", "@nvi/db", "@nvi/jobs", "@nvi/policy"],
  serverExternalPackages: ["@node-rs/argon2", "ioredis", "bullmq", "pg", "rate-limiter-flexible"],
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Frame-Options", value: "DENY" },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
          { key: "Content-Security-Policy", value: CONTENT_SECURITY_POLICY },
        ],
      },
    ];
  },
};

export default config;
