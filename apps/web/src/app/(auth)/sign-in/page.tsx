import { Suspense } from "react";
import { AuthForm } from "../../../components/auth-form.tsx";

export default function SignInPage() {
  return (
    <Suspense>
      <AuthForm mode="sign-in" />
    </Suspense>
  );
}
