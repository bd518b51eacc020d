"use client";

import { useMutation, useQueryClient, type QueryKey, type UseMutationOptions } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";

/** What a form's reader returns when the input is wrong before anything is sent. */
export class FormProblem {
  constructor(readonly message: string) {}
}
export const problem = (message: string) => new FormProblem(message);

/**
 * A mutation that refreshes what the page shows once it succeeds: every query (the default; a
 * change to one thing often shows elsewhere), the queries under one key, or none.
 */
export function useAction<TData, TError, TVariables, TContext>(
  options: UseMutationOptions<TData, TError, TVariables, TContext>,
  { refresh = "all", onDone }: { refresh?: QueryKey | "all" | "none"; onDone?: (data: TData) => void } = {},
) {
  const queryClient = useQueryClient();
  return useMutation({
    ...options,
    onSuccess: async (data: TData) => {
      onDone?.(data);
      if (refresh === "all") await queryClient.invalidateQueries();
      else if (refresh !== "none") await queryClient.invalidateQueries({ queryKey: refresh });
    },
  });
}

/**
 * A form's submit: read the fields (or say what is wrong), then hand the value on. The form's
 * own problem shows in `error` until the next submit.
 */
export function useFormSubmit<TValue>(read: (form: FormData) => TValue | FormProblem, handle: (value: TValue) => void) {
  const [error, setError] = useState<string | null>(null);
  const ref = useRef<HTMLFormElement>(null);
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const value = read(new FormData(e.currentTarget));
    if (value instanceof FormProblem) return setError(value.message);
    setError(null);
    handle(value);
  };
  return { formProps: { ref, onSubmit }, error, setError, reset: () => ref.current?.reset() };
}

/**
 * A form that sends one mutation: fields read into the input, the mutation's refresh, and one
 * `error` (the form's own problem, else the API's refusal) for an `ErrorAlert`.
 */
export function useFormMutation<TData, TError, TVariables, TContext>(
  options: UseMutationOptions<TData, TError, TVariables, TContext>,
  read: (form: FormData) => TVariables | FormProblem,
  {
    refresh,
    onDone,
    resetOnSuccess = false,
  }: { refresh?: QueryKey | "all" | "none"; onDone?: (data: TData) => void; resetOnSuccess?: boolean } = {},
) {
  const submit = useFormSubmit(read, (value: TVariables) => mutation.mutate(value));
  const mutation = useAction(options, {
    ...(refresh !== undefined ? { refresh } : {}),
    onDone: (data) => {
      if (resetOnSuccess) submit.reset();
      onDone?.(data);
    },
  });
  return {
    formProps: submit.formProps,
    error: submit.error ?? mutation.error,
    pending: mutation.isPending,
    data: mutation.data,
    mutation,
  };
}
