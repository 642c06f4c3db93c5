;;; eglot_e2e.el --- drive Emacs Eglot against osls and write what it saw as JSON  -*- lexical-binding: t -*-
;; Run by e2e/emacs_test.go:
;;   emacs --batch -Q -l eglot_e2e.el
;; with OSLS_BIN, OSLS_STUDY and OSLS_OUT in the environment.

(require 'cl-lib)
(require 'json)
;; Debian's elpa-eglot (and the newer project/xref it needs) live here; -Q skips package.el.
(dolist (d (and (file-directory-p "/usr/share/emacs/site-lisp/elpa")
                (directory-files "/usr/share/emacs/site-lisp/elpa" t "^[a-z]")))
  (add-to-list 'load-path d))
(require 'eglot)
(require 'flymake)
(require 'xref)

(defvar osls-bin (getenv "OSLS_BIN"))
(defvar osls-study (getenv "OSLS_STUDY"))
(defvar osls-out (getenv "OSLS_OUT"))
(defvar osls-res (list (cons 'errors nil)))

(defun osls-put (key value) (push (cons key value) osls-res))
(defun osls-fail (msg) (setcdr (assq 'errors osls-res) (cons msg (cdr (assq 'errors osls-res)))))

(defun osls-finish ()
  (with-temp-file osls-out
    (insert (json-encode (mapcar (lambda (kv) (cons (car kv) (if (and (listp (cdr kv)) (not (cdr kv))) [] (cdr kv)))) osls-res))))
  (ignore-errors (eglot-shutdown (eglot-current-server)))
  (kill-emacs 0))

(defun osls-wait (pred &optional secs)
  "Wait until PRED returns non-nil, for at most SECS seconds, letting processes and timers run."
  (let ((deadline (+ (float-time) (or secs 10))) ok)
    (while (and (not (setq ok (funcall pred))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    ok))

(define-derived-mode osls-yaml-mode prog-mode "osls-yaml" "project.yaml for the test.")
(add-to-list 'auto-mode-alist '("project\\.yaml\\'" . osls-yaml-mode))
(add-to-list 'eglot-server-programs `(osls-yaml-mode . (,osls-bin "serve")))
(setq eglot-send-changes-idle-time 0.05
      flymake-no-changes-timeout 0.05
      eglot-sync-connect t)

(defun osls-codes ()
  (mapcar (lambda (d)
            (let ((text (flymake-diagnostic-text d)))
              (list (cons 'code (if (string-match "\\[\\(PY[0-9]+\\)\\]" text) (match-string 1 text) text))
                    (cons 'line (1- (line-number-at-pos (flymake-diagnostic-beg d))))
                    (cons 'message text))))
          (flymake-diagnostics)))

(defun osls-goto (needle &optional delta)
  (goto-char (point-min))
  (if (search-forward needle nil t)
      (progn (goto-char (+ (match-beginning 0) (or delta 0))) t)
    (osls-fail (format "not in the fixture: %s" needle))
    nil))

(condition-case err
    (progn
      (find-file (expand-file-name "project.yaml" osls-study))
      (apply #'eglot--connect (eglot--guess-contact))
      (osls-put 'attached (and (osls-wait (lambda () (eglot-current-server))) t))
      (unless (eglot-current-server) (error "no server"))
      (let ((server (eglot-current-server)))
        ;; Diagnostics, as Flymake shows them.
        (flymake-start)
        (osls-wait (lambda () (>= (length (flymake-diagnostics)) 2)))
        (osls-put 'diagnostics (osls-codes))

        ;; Completion through Eglot's completion-at-point.
        (osls-goto "[analyze]" 1)
        (let* ((capf (eglot-completion-at-point))
               (table (nth 2 capf)))
          (osls-put 'complete_needs (and capf (all-completions "" table))))
        (osls-goto "run: r:v2" 5)
        (let* ((capf (eglot-completion-at-point))
               (table (nth 2 capf)))
          (osls-put 'complete_image (and capf (all-completions "" table))))

        ;; Hover.
        (osls-goto "  analyse:" 3)
        (let ((h (jsonrpc-request server :textDocument/hover (eglot--TextDocumentPositionParams))))
          (osls-put 'hover (plist-get (plist-get h :contents) :value)))

        ;; Definition through xref.
        (osls-goto "needs: [generate_dataset]" 10)
        (let* ((id (xref-backend-identifier-at-point 'eglot))
               (defs (xref-backend-definitions 'eglot id))
               (loc (and defs (xref-item-location (car defs)))))
          (when loc
            (osls-put 'definition
                      (list (cons 'uri (concat "file://" (xref-file-location-file loc)))
                            (cons 'line (1- (xref-file-location-line loc)))))))

        ;; The quick fix for the misspelt need, applied by Eglot.
        (osls-goto "[analyze]" 2)
        (let* ((actions (jsonrpc-request server :textDocument/codeAction
                                         (list :textDocument (eglot--TextDocumentIdentifier)
                                               :range (list :start (eglot--pos-to-lsp-position)
                                                            :end (eglot--pos-to-lsp-position))
                                               :context (list :diagnostics []))))
               titles)
          (mapc (lambda (a)
                  (push (plist-get a :title) titles)
                  (when (equal (plist-get a :title) "Change to \"analyse\"")
                    (eglot--apply-workspace-edit (plist-get a :edit))))
                actions)
          (osls-put 'fix_titles (nreverse titles)))
        (osls-goto "needs: [anal" 0)
        (osls-put 'fixed_line (buffer-substring-no-properties (line-beginning-position) (line-end-position)))
        (eglot--signal-textDocument/didChange)
        (osls-wait (lambda ()
                     (flymake-start)
                     (accept-process-output nil 0.05)
                     (not (cl-some (lambda (d) (string-match-p "PY061" (flymake-diagnostic-text d)))
                                   (flymake-diagnostics)))))
        (osls-put 'diagnostics_after_fix (osls-codes))

        ;; A code lens command: the study has errors, so running is refused, saying why.
        (let ((lenses (jsonrpc-request server :textDocument/codeLens
                                       (list :textDocument (eglot--TextDocumentIdentifier)))))
          (osls-put 'lenses (length lenses))
          (when (> (length lenses) 0)
            (let* ((cmd (plist-get (aref lenses 0) :command))
                   (r (jsonrpc-request server :workspace/executeCommand
                                       (list :command (plist-get cmd :command)
                                             :arguments (plist-get cmd :arguments)))))
              (osls-put 'run_message (plist-get r :message)))))))
  (error (osls-fail (format "%S" err))))
(osls-finish)
