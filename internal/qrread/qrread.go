// Package qrread reads a QR code from an image the way the tests need: with
// real decoders, tried the way a scanner tries, and never with a reading of
// our own making.
//
// gozxing, a pure-Go port of ZXing, misses some perfectly printed codes
// (it takes data modules for a finder pattern and reports "dimension = 39"
// for a version-12 code, even on a clean go-qrcode PNG, about one code in
// a few hundred). A phone or a checkpoint scanner looks at a code many
// times until it reads; so does Decode: gozxing with both of its
// binarizers, then as a pure barcode, then zbar (zbarimg, which
// scripts/setup.sh installs), another real decoder. A misread cannot
// pass a test: callers compare the text exactly and verify its signature.
package qrread

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"strings"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// Decode returns the text of the one QR code in img and its
// error-correction level ("L", "M", "Q" or "H"; "" when only zbar, which
// does not say, could read it).
func Decode(img image.Image) (text, level string, err error) {
	var errs []error
	src := gozxing.NewLuminanceSourceFromImage(img)
	tries := []struct {
		bin  gozxing.Binarizer
		hint gozxing.DecodeHintType
	}{
		{gozxing.NewHybridBinarizer(src), gozxing.DecodeHintType_TRY_HARDER},
		{gozxing.NewGlobalHistgramBinarizer(src), gozxing.DecodeHintType_TRY_HARDER},
		{gozxing.NewHybridBinarizer(src), gozxing.DecodeHintType_PURE_BARCODE},
	}
	for _, try := range tries {
		bmp, err := gozxing.NewBinaryBitmap(try.bin)
		if err != nil {
			return "", "", err
		}
		res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{try.hint: true})
		if err != nil {
			errs = append(errs, fmt.Errorf("gozxing: %w", err))
			continue
		}
		level, _ := res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL].(string)
		return res.GetText(), level, nil
	}
	text, err = zbar(img)
	if err == nil {
		return text, "", nil
	}
	return "", "", errors.Join(append(errs, err)...)
}

// zbar reads the one QR code in img with zbarimg.
func zbar(img image.Image) (string, error) {
	if _, err := exec.LookPath("zbarimg"); err != nil {
		return "", fmt.Errorf("zbarimg: %w", err)
	}
	f, err := os.CreateTemp("", "qrread-*.png")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	err = png.Encode(f, img)
	if e := f.Close(); err == nil {
		err = e
	}
	if err != nil {
		return "", err
	}
	out, err := exec.Command("zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", f.Name()).Output()
	if err != nil {
		return "", fmt.Errorf("zbarimg: %w", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != 1 {
		return "", fmt.Errorf("zbarimg read %d codes", len(lines))
	}
	return lines[0], nil
}
