// Imported first by every unit test: installs the vscode mock before any module of the
// extension asks for 'vscode'.
import { install } from './vscode-mock';

install();
