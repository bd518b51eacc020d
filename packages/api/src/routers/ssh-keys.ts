import { AddSshKeyInput, RemovedDto, SshKeyDto, SshKeyRef } from "@nvi/contracts";
import { addSshKey, listSshKeys, removeSshKey } from "@nvi/core";
import { z } from "zod";
import { router } from "../trpc.ts";
import { rest } from "./meta.ts";
import { read, write } from "./procedures.ts";

export const sshKeyRouter = router({
  list: read(
    rest("GET", "/ssh-keys", "ssh-keys", "SSH public keys of the organization (chosen at a VM's launch)"),
    z.void(),
    z.array(SshKeyDto),
    listSshKeys,
  ),
  add: write(
    rest(
      "POST",
      "/ssh-keys",
      "ssh-keys",
      "Add an SSH public key (ed25519, ECDSA or RSA of 2048+ bits; one line as in a .pub file) (instances:write)",
    ),
    AddSshKeyInput,
    SshKeyDto,
    addSshKey,
  ),
  remove: write(
    rest(
      "DELETE",
      "/ssh-keys/{sshKeyId}",
      "ssh-keys",
      "Remove an SSH key; VMs launched with it keep it (instances:write)",
    ),
    SshKeyRef,
    RemovedDto,
    removeSshKey,
  ),
});
