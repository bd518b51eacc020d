import { SettingsView } from "../../../components/settings-view.tsx";

export default function SettingsPage() {
  return <SettingsView />;
}
