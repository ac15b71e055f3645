package directory

import "github.com/danielgtaylor/huma/v2"

// Image is the picture of a user, group or course (Konstantly's `image`).
// Roster stores none yet, so the field is always null; the schema says
// exactly that — an object or null — so clients generated from the OpenAPI
// document accept the null they get.
type Image struct{}

// Schema documents image as a nullable object.
func (Image) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeObject, Nullable: true,
		Description: "Picture; always null for now (Roster stores no images yet)"}
}
