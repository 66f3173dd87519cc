"""Categories: create, edit, (de)activate."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from webapp import services
from webapp.views.admin import _rendered, _require_organisation_admin, bp, show_problems
from workflows import administration as admin
from workflows import organisation


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"))
    name_en = StringField(_l("Name in English (optional)"))
    description = TextAreaField(_l("Description (optional)"))


class NewCategoryForm(CategoryForm):
    code = StringField(_l("Code"))


@bp.get("/categories")
def categories():
    _require_organisation_admin()
    with services.db().session() as s:
        rows = admin.categories_with_counts(s)
    return render_template("admin/categories.html", rows=rows)


@bp.route("/categories/new", methods=["GET", "POST"])
def new_category():
    _require_organisation_admin()
    form = NewCategoryForm()
    if form.validate_on_submit():
        try:
            category = organisation.create_category(services.db(), current_user, form.code.data,
                                             form.name.data, form.description.data, form.name_en.data)
        except admin.AdminError as exc:
            show_problems(form, exc)
        else:
            flash(_("The category %(name)s was created.", name=category.name), "success")
            return redirect(url_for(".categories"))
    return _rendered("admin/category_form.html", form, category=None)


@bp.route("/categories/<code>", methods=["GET", "POST"])
def edit_category(code: str):
    _require_organisation_admin()
    with services.db().session() as s:
        category = organisation.category_by_code(s, code)
    form = CategoryForm(data={"name": category.name, "name_en": category.name_en, "description": category.description})
    if form.validate_on_submit():
        try:
            category = organisation.edit_category(services.db(), current_user, code, form.name.data,
                                                  form.description.data, form.name_en.data)
        except admin.AdminError as exc:
            show_problems(form, exc)
        else:
            flash(_("The changes to %(name)s were saved.", name=category.name), "success")
            return redirect(url_for(".categories"))
    return _rendered("admin/category_form.html", form, category=category)


@bp.post("/categories/<code>/<any(deactivate, reactivate):action>")
def set_category_active(code: str, action: str):
    _require_organisation_admin()
    command = organisation.deactivate_category if action == "deactivate" else organisation.reactivate_category
    category = command(services.db(), current_user, code)
    flash(_("%(name)s was deactivated. It is no longer offered to reporters.", name=category.name)
          if action == "deactivate" else _("%(name)s was reactivated.", name=category.name), "success")
    return redirect(url_for(".categories"))
