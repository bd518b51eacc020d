-- CreateTable
CREATE TABLE "host_call_budgets" (
    "host_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "tokens" DOUBLE PRECISION NOT NULL,
    "refilled_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "host_call_budgets_pkey" PRIMARY KEY ("host_id","kind")
);

-- AddForeignKey
ALTER TABLE "host_call_budgets" ADD CONSTRAINT "host_call_budgets_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

