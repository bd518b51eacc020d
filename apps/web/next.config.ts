import type { NextConfig } from "next";

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
        ],
      },
    ];
  },
};

export default config;
