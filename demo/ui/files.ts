/**
 * Getting CSV files into the page: the drop zone (files and whole folders), the file picker
 * and the folder picker. Only `File` handles are collected here; no file is read on the main
 * thread (the worker that parses a file reads it).
 *
 * Policy: files the user names one by one are all kept, so that a file that is not CSV gets
 * a clear message from the parser; inside folders only `*.csv` files count, as with
 * `bask spreads <folder>`. The list is sorted by path, numbers in names in numeric order.
 */

/** A file to compute, and the name the page shows for it (its path inside a folder). */
export interface InputFile {
  readonly file: File;
  readonly name: string;
}

/** The elements that take files in. */
export interface FileInputs {
  readonly dropZone: HTMLElement;
  readonly fileInput: HTMLInputElement;
  readonly folderInput: HTMLInputElement;
}

const byPath = new Intl.Collator('en', { numeric: true }).compare;

function isCsvName(name: string): boolean {
  return name.toLowerCase().endsWith('.csv');
}

/** Sorts files by the name the page shows. */
export function sortFiles(files: InputFile[]): InputFile[] {
  return files.sort((a, b) => byPath(a.name, b.name));
}

/** Wires the drop zone and both pickers; `onFiles` receives each new selection, sorted. */
export function setupFileInputs(inputs: FileInputs, onFiles: (files: InputFile[]) => void): void {
  const { dropZone, fileInput, folderInput } = inputs;
  fileInput.addEventListener('change', () => {
    const files = [...(fileInput.files ?? [])].map((file) => ({ file, name: file.name }));
    fileInput.value = '';
    if (files.length > 0) onFiles(sortFiles(files));
  });
  folderInput.addEventListener('change', () => {
    const files = [...(folderInput.files ?? [])]
      .map((file) => ({ file, name: file.webkitRelativePath || file.name }))
      .filter((f) => isCsvName(f.name));
    folderInput.value = '';
    onFiles(sortFiles(files));
  });
  setupDropZone(dropZone, onFiles);
}

function setupDropZone(zone: HTMLElement, onFiles: (files: InputFile[]) => void): void {
  let depth = 0;
  zone.addEventListener('dragenter', (event) => {
    event.preventDefault();
    if (depth++ === 0) zone.classList.add('is-dragging');
  });
  zone.addEventListener('dragleave', () => {
    if (--depth === 0) zone.classList.remove('is-dragging');
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    if (event.dataTransfer !== null) event.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    zone.classList.remove('is-dragging');
    const transfer = event.dataTransfer;
    if (transfer === null) return;
    // Entries must be taken while the event is dispatched; the transfer is emptied after.
    const entries = [...transfer.items]
      .map((item) => item.webkitGetAsEntry())
      .filter((entry): entry is FileSystemEntry => entry !== null);
    const plain = [...transfer.files];
    void collectEntries(entries, plain).then((files) => onFiles(sortFiles(files)));
  });
}

/** Files of dropped entries: files as they are, folders walked for their CSV files. */
async function collectEntries(entries: FileSystemEntry[], plain: File[]): Promise<InputFile[]> {
  if (entries.length === 0) return plain.map((file) => ({ file, name: file.name }));
  const out: InputFile[] = [];
  for (const entry of entries) await walk(entry, true, out);
  return out;
}

async function walk(entry: FileSystemEntry, chosen: boolean, out: InputFile[]): Promise<void> {
  if (isFileEntry(entry)) {
    if (!chosen && !isCsvName(entry.name)) return;
    const file = await new Promise<File>((resolve, reject) => entry.file(resolve, reject));
    out.push({ file, name: entry.fullPath.replace(/^\//, '') || file.name });
    return;
  }
  if (isDirectoryEntry(entry)) {
    for (const child of await readAllEntries(entry)) await walk(child, false, out);
  }
}

/** A folder's entries: `readEntries` hands them out in pages (100 in Chromium) until empty. */
async function readAllEntries(folder: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = folder.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const page = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (page.length === 0) return all;
    all.push(...page);
  }
}

function isFileEntry(entry: FileSystemEntry): entry is FileSystemFileEntry {
  return entry.isFile;
}

function isDirectoryEntry(entry: FileSystemEntry): entry is FileSystemDirectoryEntry {
  return entry.isDirectory;
}
