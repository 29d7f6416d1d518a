"""The texts CONNECT produces: the ROI authorisation text and its blank form, the MOU texts, and the email templates."""
