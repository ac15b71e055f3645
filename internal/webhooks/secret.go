package webhooks

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// secretPrefix marks a Standard Webhooks signing secret.
const secretPrefix = "whsec_"

// newSecret returns a fresh signing secret: whsec_ + base64 of 32 random
// bytes.
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return secretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// secretKey returns the HMAC key inside a whsec_ secret.
func secretKey(secret string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
}

// sign returns the Standard Webhooks v1 signature of one message:
// base64(HMAC-SHA256(key, id.timestamp.body)).
func sign(key []byte, msgID string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, ts, 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Cipher encrypts signing secrets at rest with AES-256-GCM under the
// server's key. Secrets must stay usable for signing, so they are encrypted
// rather than hashed; a database dump alone does not reveal them.
type Cipher struct {
	aead cipher.AEAD
}

// ErrNoKey means the server has no secret key configured, so endpoints
// cannot be created or signed for.
var ErrNoKey = errors.New("no server secret key is configured: set ROSTER_SECRET_KEY (32 bytes as base64 or hex, or a passphrase of 32+ characters)")

// NewCipher builds a cipher from a configured key: 32 bytes as standard or
// URL base64, or 64 hex digits, or any passphrase of at least 32 characters
// (stretched with SHA-256). Empty yields a cipher that refuses with ErrNoKey.
func NewCipher(key string) (*Cipher, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return &Cipher{}, nil
	}
	raw, err := parseKey(key)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Cipher{aead: aead}, nil
}

func parseKey(key string) ([]byte, error) {
	if b, err := hex.DecodeString(key); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(key); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	if len(key) >= 32 {
		sum := sha256.Sum256([]byte("roster secret key\x00" + key))
		return sum[:], nil
	}
	return nil, errors.New("secret key must be 32 bytes as base64 or hex, or a passphrase of at least 32 characters")
}

// Ready reports whether a key is configured.
func (c *Cipher) Ready() bool { return c.aead != nil }

// seal encrypts plaintext bound to aad (the endpoint's id, so a ciphertext
// cannot be moved to another row). The result is "v1:" + base64(nonce|ct).
func (c *Cipher) seal(plaintext, aad string) (string, error) {
	if c.aead == nil {
		return "", ErrNoKey
	}
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(plaintext)+c.aead.Overhead())
	_, _ = rand.Read(nonce)
	out := c.aead.Seal(nonce, nonce, []byte(plaintext), []byte(aad))
	return "v1:" + base64.StdEncoding.EncodeToString(out), nil
}

// open decrypts what seal produced.
func (c *Cipher) open(sealed, aad string) (string, error) {
	if c.aead == nil {
		return "", ErrNoKey
	}
	enc, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return "", errors.New("unknown secret encoding")
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(raw) < c.aead.NonceSize() {
		return "", errors.New("corrupt encrypted secret")
	}
	n := c.aead.NonceSize()
	pt, err := c.aead.Open(nil, raw[:n], raw[n:], []byte(aad))
	if err != nil {
		return "", errors.New("cannot decrypt the signing secret: the server secret key differs from the one it was stored with")
	}
	return string(pt), nil
}

// KeyFile returns the server key kept in path, creating it (32 random bytes,
// hex, mode 0600) when it does not exist. SQLite installations use a file
// beside the database when no key is configured; PostgreSQL ones cannot,
// since every node must share the key.
func KeyFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read secret key file: %w", err)
	}
	var k [32]byte
	_, _ = rand.Read(k[:])
	key := hex.EncodeToString(k[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", fmt.Errorf("create secret key file: %w", err)
	}
	// Write a temporary file and link it into place: the key file appears
	// complete or not at all, and a process starting at the same moment
	// either wins the link or reads the winner's key.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret-key-*")
	if err != nil {
		return "", fmt.Errorf("create secret key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(key + "\n"); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write secret key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("write secret key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
		return KeyFile(path)
	} else if err != nil {
		return "", fmt.Errorf("create secret key file: %w", err)
	}
	return key, nil
}
