package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FileStore is a Store that keeps each entry in a file of a directory. State
// survives restarts, and processes on one machine (or sharing a POSIX file
// system) can share the directory: writes replace files atomically by rename,
// and Take claims a file by renaming it, which only one process can do.
//
// File names are hashes of the keys; the contents are the proxy's values,
// which are encrypted. Expired files are removed when read and by a sweep
// that runs at most once per SweepInterval, started by a write.
type FileStore struct {
	// Now is the clock deciding expiry. Default time.Now.
	Now func() time.Time
	// SweepInterval is the least time between sweeps of expired files.
	// Default 1 minute.
	SweepInterval time.Duration

	dir       string
	lastSweep atomic.Int64 // unix nanoseconds
	sweeping  sync.Mutex
}

const fileSuffix = ".entry"

// NewFileStore returns a FileStore keeping its files in dir, which it creates
// (mode 0700) if needed.
func NewFileStore(dir string) (*FileStore, error) {
	if dir == "" {
		return nil, errors.New("oauth: NewFileStore: empty directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("oauth: file store: %w", err)
	}
	return &FileStore{dir: dir}, nil
}

type fileEntry struct {
	Key     string `json:"k"`
	Expires int64  `json:"e,omitempty"` // unix nanoseconds; 0: never
	Value   []byte `json:"v"`
}

func (s *FileStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *FileStore) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(s.dir, hex.EncodeToString(sum[:])+fileSuffix)
}

// Put implements Store.
func (s *FileStore) Put(_ context.Context, key string, value []byte, ttl time.Duration) error {
	now := s.now()
	e := fileEntry{Key: key, Value: value}
	if ttl > 0 {
		e.Expires = now.Add(ttl).UnixNano()
	}
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("oauth: file store: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.path(key))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("oauth: file store: %w", err)
	}
	s.maybeSweep(now)
	return nil
}

// Get implements Store.
func (s *FileStore) Get(_ context.Context, key string) ([]byte, error) {
	p := s.path(key)
	e, err := readEntry(p)
	if err != nil {
		return nil, err
	}
	if e.Key != key {
		return nil, ErrNotFound // a hash collision, in theory
	}
	if e.expired(s.now()) {
		os.Remove(p)
		return nil, ErrNotFound
	}
	return e.Value, nil
}

// Take implements Store.
func (s *FileStore) Take(_ context.Context, key string) ([]byte, error) {
	p := s.path(key)
	claimed := p + ".taken-" + rand.Text()
	if err := os.Rename(p, claimed); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("oauth: file store: %w", err)
	}
	defer os.Remove(claimed)
	e, err := readEntry(claimed)
	if err != nil {
		return nil, err
	}
	if e.Key != key || e.expired(s.now()) {
		return nil, ErrNotFound
	}
	return e.Value, nil
}

// Delete implements Store.
func (s *FileStore) Delete(_ context.Context, key string) error {
	if err := os.Remove(s.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("oauth: file store: %w", err)
	}
	return nil
}

// Sweep removes the expired entries now, and files left behind by writes or
// takes interrupted by a crash.
func (s *FileStore) Sweep() error {
	s.sweeping.Lock()
	defer s.sweeping.Unlock()
	now := s.now()
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("oauth: file store: %w", err)
	}
	for _, de := range ents {
		name := de.Name()
		p := filepath.Join(s.dir, name)
		switch {
		case strings.HasSuffix(name, fileSuffix):
			if e, err := readEntry(p); err == nil && e.expired(now) {
				os.Remove(p)
			}
		case strings.HasPrefix(name, ".tmp-") || strings.Contains(name, ".taken-"):
			if info, err := de.Info(); err == nil && now.Sub(info.ModTime()) > time.Hour {
				os.Remove(p)
			}
		}
	}
	return nil
}

// maybeSweep starts a sweep in the background when the last one is older
// than the interval.
func (s *FileStore) maybeSweep(now time.Time) {
	every := s.SweepInterval
	if every <= 0 {
		every = time.Minute
	}
	last := s.lastSweep.Load()
	if last == 0 {
		s.lastSweep.CompareAndSwap(0, now.UnixNano())
		return
	}
	if now.UnixNano()-last < int64(every) || !s.lastSweep.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	go s.Sweep()
}

func readEntry(p string) (fileEntry, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fileEntry{}, ErrNotFound
		}
		return fileEntry{}, fmt.Errorf("oauth: file store: %w", err)
	}
	var e fileEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return fileEntry{}, fmt.Errorf("oauth: file store: corrupt entry %s: %w", filepath.Base(p), err)
	}
	return e, nil
}

func (e fileEntry) expired(now time.Time) bool {
	return e.Expires != 0 && now.UnixNano() >= e.Expires
}
