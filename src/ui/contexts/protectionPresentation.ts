import * as vscode from 'vscode';
import type { ContextProtection, ProtectionColor } from '../../core/contexts/contextProtection';

/** Theme colours only (they follow the person's theme); `charts.*` exist in every theme. */
const THEME_COLORS: Record<ProtectionColor, string> = {
  red: 'charts.red',
  orange: 'charts.orange',
  yellow: 'charts.yellow',
  green: 'charts.green',
  blue: 'charts.blue',
  purple: 'charts.purple',
};

/** The icon of a protected context, in its colour (the warning colour when it has none). */
export function protectedIcon(p: ContextProtection): vscode.ThemeIcon {
  return new vscode.ThemeIcon(
    'shield',
    new vscode.ThemeColor(p.color ? THEME_COLORS[p.color] : 'list.warningForeground'),
  );
}

export function colorLabel(c: ProtectionColor): string {
  switch (c) {
    case 'red':
      return vscode.l10n.t('Red');
    case 'orange':
      return vscode.l10n.t('Orange');
    case 'yellow':
      return vscode.l10n.t('Yellow');
    case 'green':
      return vscode.l10n.t('Green');
    case 'blue':
      return vscode.l10n.t('Blue');
    case 'purple':
      return vscode.l10n.t('Purple');
  }
}
