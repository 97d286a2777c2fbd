import * as vscode from 'vscode';
import { UserCancelledError } from './userCancelledError';

/** Returned by a step when the user pressed the Back button. */
export const BACK = Symbol('back');
export type Back = typeof BACK;

export interface StepPosition {
  title: string;
  step: number;
  totalSteps: number;
}

export interface InputStepOptions extends StepPosition {
  prompt: string;
  placeholder?: string;
  value?: string;
  /** Returns the message to show, or undefined when the value is acceptable. Runs on every keystroke. */
  validate?: (value: string) => string | undefined | Promise<string | undefined>;
}

/**
 * One step of a multi-step input: an input box with a Back button from step 2 on. Escape throws
 * UserCancelledError (silent in the command wrapper); Enter on an invalid value is ignored.
 */
export function inputStep(o: InputStepOptions): Promise<string | Back> {
  const box = vscode.window.createInputBox();
  box.title = o.title;
  box.step = o.step;
  box.totalSteps = o.totalSteps;
  box.prompt = o.prompt;
  box.placeholder = o.placeholder;
  box.value = o.value ?? '';
  box.ignoreFocusOut = true;
  box.buttons = o.step > 1 ? [vscode.QuickInputButtons.Back] : [];
  const disposables: vscode.Disposable[] = [];
  let validation = 0;
  const validate = async (value: string): Promise<string | undefined> => {
    const ticket = ++validation;
    const message = o.validate ? await o.validate(value) : undefined;
    if (ticket === validation) {
      box.validationMessage = message;
    }
    return message;
  };
  return new Promise<string | Back>((resolve, reject) => {
    disposables.push(
      box.onDidChangeValue((v) => void validate(v)),
      box.onDidTriggerButton((b) => {
        if (b === vscode.QuickInputButtons.Back) {
          resolve(BACK);
          box.hide();
        }
      }),
      box.onDidAccept(async () => {
        const value = box.value;
        box.busy = true;
        const problem = await validate(value);
        box.busy = false;
        if (problem === undefined) {
          resolve(value);
          box.hide();
        }
      }),
      box.onDidHide(() => reject(new UserCancelledError(o.title))),
    );
    if (box.value) {
      void validate(box.value);
    }
    box.show();
  }).finally(() => {
    for (const d of disposables) {
      d.dispose();
    }
    box.dispose();
  });
}

export interface PickStepOptions<T extends vscode.QuickPickItem> {
  title: string;
  /** Omit both for a single pick that is not part of a multi-step input. */
  step?: number;
  totalSteps?: number;
  placeholder: string;
  items: readonly T[];
  active?: T;
}

/** One quick-pick step of a multi-step input (Back from step 2 on), or a single pick. */
export function pickStep<T extends vscode.QuickPickItem>(o: PickStepOptions<T>): Promise<T | Back> {
  const pick = vscode.window.createQuickPick<T>();
  pick.title = o.title;
  pick.step = o.step;
  pick.totalSteps = o.totalSteps;
  pick.placeholder = o.placeholder;
  pick.items = o.items;
  pick.ignoreFocusOut = true;
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  if (o.active) {
    pick.activeItems = [o.active];
  }
  pick.buttons = (o.step ?? 1) > 1 ? [vscode.QuickInputButtons.Back] : [];
  const disposables: vscode.Disposable[] = [];
  return new Promise<T | Back>((resolve, reject) => {
    disposables.push(
      pick.onDidTriggerButton((b) => {
        if (b === vscode.QuickInputButtons.Back) {
          resolve(BACK);
          pick.hide();
        }
      }),
      pick.onDidAccept(() => {
        const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
        if (chosen) {
          resolve(chosen);
          pick.hide();
        }
      }),
      pick.onDidHide(() => reject(new UserCancelledError(o.title))),
    );
    pick.show();
  }).finally(() => {
    for (const d of disposables) {
      d.dispose();
    }
    pick.dispose();
  });
}

/** A modal question with one action button; false when dismissed. */
export async function confirmModal(message: string, detail: string, action: string): Promise<boolean> {
  const chosen = await vscode.window.showWarningMessage(message, { modal: true, detail }, action);
  return chosen === action;
}

/** A single pick (no steps, no Back); Escape throws UserCancelledError. */
export async function pickOne<T extends vscode.QuickPickItem>(
  o: Omit<PickStepOptions<T>, 'step' | 'totalSteps'>,
): Promise<T> {
  const r = await pickStep(o);
  if (r === BACK) {
    throw new UserCancelledError(o.title);
  }
  return r;
}
