package lsp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.lsp.dev/jsonrpc2"
)

// maxFrame bounds the body of one message (64 MiB); a larger Content-Length is treated as a
// broken header.
const maxFrame = 64 << 20

// resilientStream reads LSP Content-Length frames and survives what a strict stream would
// die of: a body that is not JSON or not a JSON-RPC message is answered with a parse error
// and skipped; a broken header is skipped up to the next "Content-Length:" line; invalid
// UTF-8 is replaced with U+FFFD before decoding. Writes go through jsonrpc2's own header
// stream so framing on the way out is the library's.
type resilientStream struct {
	in     *bufio.Reader
	closer io.Closer
	out    jsonrpc2.Stream
	logf   func(format string, args ...any)
}

// newResilientStream frames messages over in (reads) and out (writes).
func newResilientStream(in io.Reader, out io.WriteCloser, logger *log.Logger) *resilientStream {
	s := &resilientStream{
		in:   bufio.NewReaderSize(in, 64<<10),
		out:  jsonrpc2.NewHeaderStream(nopReadCloser{out}),
		logf: func(string, ...any) {},
	}
	if c, ok := in.(io.Closer); ok {
		s.closer = c
	}
	if logger != nil {
		s.logf = logger.Printf
	}
	return s
}

// Read implements jsonrpc2.Stream.
func (s *resilientStream) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		body, n, err := s.readFrame()
		if errors.Is(err, jsonrpc2.ErrInvalidHeader) {
			s.logf("skipping a message with a broken header")
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		if !utf8.Valid(body) {
			s.logf("message with invalid UTF-8: replacing the bad bytes")
			body = bytes.ToValidUTF8(body, []byte("\uFFFD"))
		}
		msg, err := jsonrpc2.DecodeMessage(body)
		if err != nil {
			s.logf("skipping a malformed message: %v", err)
			resp := jsonrpc2.NewResponse(jsonrpc2.ID{}, nil, fmt.Errorf("%w: %v", jsonrpc2.ErrParse, err))
			if _, werr := s.out.Write(ctx, resp); werr != nil {
				return nil, 0, werr
			}
			continue
		}
		return msg, n, nil
	}
}

// readFrame reads one header block and its body into a fresh buffer (decoded requests
// borrow it, so it is never reused).
func (s *resilientStream) readFrame() ([]byte, int64, error) {
	length, consumed := -1, 0
	sawLine := false
	for {
		line, err := s.in.ReadString('\n')
		consumed += len(line)
		if err != nil {
			if err == io.EOF && sawLine {
				err = io.ErrUnexpectedEOF
			}
			return nil, 0, err
		}
		sawLine = true
		trimmed := strings.TrimRight(line, "\r\n")
		if trimmed == "" {
			if length < 0 {
				// A blank line before any Content-Length: resynchronise on the next header.
				if consumed > len(line) {
					return nil, 0, jsonrpc2.ErrInvalidHeader
				}
				consumed = 0
				sawLine = false
				continue
			}
			break
		}
		name, value, ok := strings.Cut(trimmed, ":")
		if !ok {
			continue // not a header line: garbage between frames
		}
		if strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n <= 0 || n > maxFrame {
				return nil, 0, jsonrpc2.ErrInvalidHeader
			}
			length = n
		}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(s.in, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, 0, err
	}
	return body, int64(consumed + length), nil
}

// Write implements jsonrpc2.Stream.
func (s *resilientStream) Write(ctx context.Context, msg jsonrpc2.Message) (int64, error) {
	return s.out.Write(ctx, msg)
}

// Close implements jsonrpc2.Stream.
func (s *resilientStream) Close() error {
	err := s.out.Close()
	if s.closer != nil {
		if cerr := s.closer.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// nopReadCloser gives a writer the io.ReadWriteCloser shape jsonrpc2's header stream wants;
// it is never read from.
type nopReadCloser struct{ io.WriteCloser }

func (nopReadCloser) Read([]byte) (int, error) { return 0, io.EOF }
